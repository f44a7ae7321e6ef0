// Package evaluation runs official evaluations: it scores stored projects
// with one rule-set version, chunk by chunk, and stores every chunk whole,
// so that a run stopped by a shutdown or a crash can be resumed without
// duplicate scores. A run's chunks are planned when it is first executed
// and claimed one at a time under a lease, so that several processes on
// one database can share a run, and a chunk of a process that died is
// claimed by another once its lease has ended.
package evaluation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"jixiao"
	"jixiao/engine"
)

// DefaultChunkSize is how many projects are scored and committed together.
const DefaultChunkSize = 1000

// DefaultLease is how long a claimed chunk stays its process's without a
// renewal: a chunk of a process that died is claimed by another after at
// most this long. Leases are renewed every third of it.
const DefaultLease = 30 * time.Second

// Selection says which stored projects a run scores. Empty fields select
// everything.
type Selection struct {
	ProjectIDs []string `json:"project_ids,omitempty"`
	Year       int      `json:"year,omitempty"`
	Department string   `json:"department,omitempty"`
	// Projects names the projects by year and id, for a selection across
	// years (inline projects of several years).
	Projects []jixiao.ProjectRef `json:"projects,omitempty"`
	// DepartmentCodes limits the run to these departments' projects: a
	// run started by an account scoped to a department.
	DepartmentCodes []string `json:"department_codes,omitempty"`
	// Statuses limits the run to projects whose review is at one of
	// these statuses; the API asks for approved ones unless told more.
	Statuses []string `json:"statuses,omitempty"`
	// MaxKey is set when a run starts: projects stored afterwards are not
	// part of it, even when it is resumed later.
	MaxKey int64 `json:"max_key,omitempty"`
}

func (s Selection) filter() jixiao.ProjectFilter {
	return jixiao.ProjectFilter{IDs: s.ProjectIDs, Year: s.Year, Department: s.Department, Refs: s.Projects, MaxKey: s.MaxKey,
		DepartmentCodes: s.DepartmentCodes, Statuses: s.Statuses}
}

// Service starts, executes and resumes runs.
type Service struct {
	Store     jixiao.Store
	Logger    *slog.Logger
	ChunkSize int
	Workers   int              // scoring goroutines; 0 means one per core
	OnScored  func(n int)      // called with the number of projects scored in each chunk, one call at a time
	Now       func() time.Time // for tests; nil means time.Now
	// Owner names this process in the chunks it claims; "" means
	// host:pid.
	Owner string
	// Lease is DefaultLease when 0.
	Lease time.Duration
	// Shared says that other processes may work on the same runs
	// (PostgreSQL): a run this one stops working on, at a shutdown, stays
	// running for them, with its chunks released, rather than being
	// marked interrupted.
	Shared bool
}

func (s *Service) owner() string {
	if s.Owner != "" {
		return s.Owner
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

func (s *Service) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return DefaultLease
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Start records a new official run of rs over sel and counts its projects.
func (s *Service) Start(ctx context.Context, rs *engine.RuleSet, sel Selection, who string) (*jixiao.Run, error) {
	maxKey, err := s.Store.MaxProjectKey(ctx)
	if err != nil {
		return nil, err
	}
	if maxKey == 0 {
		maxKey = -1 // no project yet: the run selects nothing, not everything
	}
	sel.MaxKey = maxKey
	f := sel.filter()
	f.Limit = 1
	_, total, err := s.Store.FindProjects(ctx, f)
	if err != nil {
		return nil, err
	}
	selJSON, err := json.Marshal(sel)
	if err != nil {
		return nil, err
	}
	run := &jixiao.Run{
		Kind:        jixiao.RunOfficial,
		RuleSetID:   rs.Ref().ID,
		RuleSetHash: rs.Ref().Hash,
		RequestedBy: who,
		Status:      jixiao.RunRunning,
		Selection:   selJSON,
		Total:       total,
		StartedAt:   s.now().UTC(),
	}
	if err := s.Store.CreateRun(ctx, run); err != nil {
		return nil, err
	}
	return run, nil
}

// Execute scores the projects of run that are not scored yet, a chunk at
// a time; each chunk is claimed under a lease and committed whole, marked
// done with its scores. Its stages overlap: one goroutine claims, reads
// and decodes the next chunk while another scores one and two save (one
// encodes while the other holds the writer connection). Chunks may commit
// out of order, which nothing depends on: the run's counts are sums. The
// run is done when every chunk is, whichever process saved the last one;
// when other processes still hold chunks, Execute returns nil and leaves
// the run running for them. When ctx is cancelled it stops at a chunk
// boundary, saves the chunks already scored, releases the others, and
// marks the run interrupted (or, when Shared, leaves it running for
// another process), or done if nothing was left.
func (s *Service) Execute(ctx context.Context, run *jixiao.Run, rs *engine.RuleSet) error {
	if rs.Ref().Hash != run.RuleSetHash {
		return fmt.Errorf("run %d was started with rule set %s, not %s", run.ID, run.RuleSetHash, rs.Ref().Hash)
	}
	var sel Selection
	if len(run.Selection) > 0 {
		if err := json.Unmarshal(run.Selection, &sel); err != nil {
			return s.finish(ctx, run, jixiao.RunFailed, fmt.Errorf("run %d: bad selection: %w", run.ID, err))
		}
	}
	// A run that stored something before chunks were planned for it (one
	// begun by an older version) leaves out what it did; chunks planned
	// since are done whole or not at all.
	var done map[int64]bool
	if run.Scored+run.Rejected > 0 {
		var err error
		if done, err = s.Store.DoneKeys(ctx, run.ID); err != nil {
			if ctx.Err() != nil || s.Shared && away(err) {
				return s.interrupted(ctx, run, err)
			}
			return s.finish(ctx, run, jixiao.RunFailed, err)
		}
	}
	size := s.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	if _, err := s.Store.PlanChunks(ctx, run.ID, sel.filter(), size); err != nil {
		if ctx.Err() != nil || s.Shared && away(err) {
			return s.interrupted(ctx, run, err)
		}
		return s.finish(ctx, run, jixiao.RunFailed, err)
	}
	ref := rs.Ref()
	owner, lease := s.owner(), s.lease()

	type scored struct {
		chunk      *jixiao.RunChunk
		scores     []jixiao.ScoreRecord
		rejections []jixiao.RunRejection
	}
	// stop ends reading and scoring early, on an error of any stage.
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu                         sync.Mutex
		readErr, scoreErr, saveErr error
		exhausted                  bool // the reader found no project left
		sent, saved                int  // chunks handed to the scorer, and saved
	)
	fail := func(stage *error, err error) {
		mu.Lock()
		if *stage == nil {
			*stage = err
		}
		mu.Unlock()
		stop()
	}

	// The leases of the chunks in hand are renewed until Execute returns.
	renewCtx, stopRenewing := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				if err := s.Store.RenewChunks(renewCtx, run.ID, owner, s.now().Add(lease)); err != nil && s.Logger != nil && renewCtx.Err() == nil {
					s.Logger.Warn("renewing the leases of a run's chunks", "run", run.ID, "error", err)
				}
			}
		}
	}()
	defer func() { stopRenewing(); <-renewed }()

	type readChunk struct {
		chunk *jixiao.RunChunk
		todo  []jixiao.StoredProject
	}
	read := make(chan readChunk, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(read)
		for {
			if stopCtx.Err() != nil {
				return
			}
			now := s.now()
			c, err := s.Store.ClaimChunk(context.WithoutCancel(ctx), run.ID, owner, now, now.Add(lease))
			if err != nil {
				fail(&readErr, err)
				return
			}
			if c == nil {
				mu.Lock()
				exhausted = true
				mu.Unlock()
				return
			}
			f := sel.filter()
			f.AfterKey, f.MaxKey = c.AfterKey, c.LastKey
			stored, err := readBatch(context.WithoutCancel(ctx), s.Store, f)
			if err != nil {
				fail(&readErr, err)
				return
			}
			todo := stored
			if len(done) > 0 { // a resumed run: leave out what it did
				todo = stored[:0]
				for _, sp := range stored {
					if !done[sp.Key] {
						todo = append(todo, sp)
					}
				}
			}
			select {
			case read <- readChunk{c, todo}:
				mu.Lock()
				sent++
				mu.Unlock()
			case <-stopCtx.Done():
				return
			}
		}
	}()

	toSave := make(chan scored, 1)
	go func() {
		defer close(toSave)
		for rc := range read {
			todo := rc.todo
			projects := make([]jixiao.Project, len(todo))
			for i := range todo {
				projects[i] = todo[i].Project
			}
			results, rejected, err := rs.ScoreEach(stopCtx, projects, engine.Batch{Workers: s.Workers})
			if err != nil {
				fail(&scoreErr, err)
				return
			}
			c := scored{chunk: rc.chunk}
			c.scores = make([]jixiao.ScoreRecord, 0, len(todo))
			for i, sp := range todo {
				p := &sp.Project
				if rejected[i] != nil {
					c.rejections = append(c.rejections, jixiao.RunRejection{RunID: run.ID, ProjectKey: sp.Key, ProjectID: p.ID, Year: p.Year, Errors: rejected[i].Errors})
					continue
				}
				c.scores = append(c.scores, jixiao.ScoreRecord{
					RunID: run.ID, ProjectKey: sp.Key, ProjectID: p.ID, Year: p.Year, Department: p.Department,
					Total: results[i].Total, Grade: results[i].Grade, Result: results[i],
					InputHash: sp.InputHash, RuleSetID: ref.ID, RuleSetHash: ref.Hash, EngineVersion: engine.Version,
					CreatedAt: s.now().UTC(),
				})
			}
			toSave <- c // saved even when stopping: the chunk is whole
		}
	}()

	var (
		wg       sync.WaitGroup
		onScored sync.Mutex
	)
	const savers = 2
	for range savers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range toSave {
				if _, err := s.Store.SaveClaimedChunk(context.WithoutCancel(ctx), c.chunk, c.scores, c.rejections); err != nil {
					fail(&saveErr, err)
					continue // drain, so that the scorer never blocks
				}
				mu.Lock()
				saved++
				run.Scored += len(c.scores)
				run.Rejected += len(c.rejections)
				mu.Unlock()
				if s.OnScored != nil {
					onScored.Lock() // one call at a time, as from one goroutine
					s.OnScored(len(c.scores))
					onScored.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	<-readerDone // a scorer that failed leaves the reader to stop by itself
	// Chunks claimed but not saved go back at once, not when their
	// leases end.
	if err := s.Store.ReleaseChunks(context.WithoutCancel(ctx), run.ID, owner); err != nil && s.Logger != nil {
		s.Logger.Warn("releasing the chunks of a run", "run", run.ID, "error", err)
	}

	// The statuses Execute gives: a failed read or save fails the run, a
	// scoring error fails or interrupts it as ctx says, and a run whose
	// every chunk was saved is done even if ctx was cancelled meanwhile.
	switch {
	case s.Shared && (away(readErr) || away(saveErr)):
		// The database is away: the run is taken over, by this process
		// or another, once it is back and the leases have ended.
		return s.interrupted(ctx, run, errors.Join(readErr, saveErr))
	case readErr != nil:
		return s.finish(ctx, run, jixiao.RunFailed, readErr)
	case saveErr != nil:
		return s.finish(ctx, run, jixiao.RunFailed, saveErr)
	case scoreErr != nil && ctx.Err() != nil:
		return s.interrupted(ctx, run, scoreErr)
	case scoreErr != nil:
		return s.finish(ctx, run, jixiao.RunFailed, scoreErr)
	case sent == saved:
		// The reader may have stopped on a cancel that came after the
		// last chunk was saved, before it found nothing left to claim:
		// the chunks left decide, not whether it looked.
		left, err := s.Store.ChunksLeft(context.WithoutCancel(ctx), run.ID)
		if err != nil {
			return s.finish(ctx, run, jixiao.RunFailed, err)
		}
		if left == 0 {
			return s.finish(ctx, run, jixiao.RunDone, nil)
		}
		if exhausted {
			// Other processes hold the rest; the last of them to save
			// a chunk finishes the run.
			return nil
		}
	}
	return s.interrupted(ctx, run, ctx.Err())
}

// away reports an error that says the database cannot be reached now.
func away(err error) bool { return err != nil && jixiao.ErrorCode(err) == jixiao.EUNAVAILABLE }

// interrupted ends this process's work on a run that was stopped: the run
// is marked interrupted, to be resumed, unless other processes share it
// (Shared), which then take its released chunks over (or this one, after
// a restart).
func (s *Service) interrupted(ctx context.Context, run *jixiao.Run, cause error) error {
	if s.Shared {
		return cause
	}
	return s.finish(ctx, run, jixiao.RunInterrupted, cause)
}

// batchReader is a store that reads a batch of projects in key order
// without counting the rest of the selection (storage.DB): a run never
// needs the count, and computing it for every chunk costs a scan of the
// rest of the selection.
type batchReader interface {
	ProjectsAfter(ctx context.Context, f jixiao.ProjectFilter) ([]jixiao.StoredProject, error)
}

// readBatch reads the batch of projects f selects, as FindProjects does.
func readBatch(ctx context.Context, st jixiao.Store, f jixiao.ProjectFilter) ([]jixiao.StoredProject, error) {
	if br, ok := st.(batchReader); ok {
		return br.ProjectsAfter(ctx, f)
	}
	stored, _, err := st.FindProjects(ctx, f)
	return stored, err
}

func (s *Service) finish(ctx context.Context, run *jixiao.Run, status string, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	at := s.now().UTC()
	if err := s.Store.FinishRun(context.WithoutCancel(ctx), run.ID, status, msg, at); err != nil {
		return errors.Join(cause, err)
	}
	run.Status, run.Error, run.FinishedAt = status, msg, &at
	if s.Logger != nil {
		s.Logger.Info("run finished", "run", run.ID, "status", status, "scored", run.Scored, "rejected", run.Rejected, "error", msg)
	}
	if status == jixiao.RunDone {
		return nil
	}
	return cause
}
