package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"jixiao"
	"jixiao/engine"
	"jixiao/evaluation"
)

// PipelinedExecute is a prototype of evaluation.Service.Execute with its
// stages overlapped, to measure what that change to evaluation/ would
// give. It does what Execute does, with the same store calls, the same
// chunks and the same outcome (every chunk committed whole, resumable by
// DoneKeys), but:
//
//   - a reader goroutine reads and decodes chunk N+2 (FindProjects)
//   - while a scorer goroutine scores chunk N+1 (ScoreEach)
//   - while chunk N is saved (SaveChunk); two saves may be in flight, so
//     that one encodes its results while the other holds the writer
//     connection. Chunks may commit out of order, which nothing depends
//     on: resuming uses the set of done keys, and the run's counts are
//     sums. OnScored is called from both savers.
//
// Cancelling ctx stops reading and scoring at a chunk boundary; the
// chunks already scored are still saved, as Execute saves the chunk in
// hand, and the run is marked interrupted, or done if nothing was left.
func PipelinedExecute(ctx context.Context, s *evaluation.Service, run *jixiao.Run, rs *engine.RuleSet) error {
	if rs.Ref().Hash != run.RuleSetHash {
		return fmt.Errorf("run %d was started with rule set %s, not %s", run.ID, run.RuleSetHash, rs.Ref().Hash)
	}
	var sel evaluation.Selection
	if len(run.Selection) > 0 {
		if err := json.Unmarshal(run.Selection, &sel); err != nil {
			return finish(ctx, s, run, jixiao.RunFailed, fmt.Errorf("run %d: bad selection: %w", run.ID, err))
		}
	}
	done, err := s.Store.DoneKeys(ctx, run.ID)
	if err != nil && ctx.Err() != nil {
		return finish(ctx, s, run, jixiao.RunInterrupted, err)
	} else if err != nil {
		return finish(ctx, s, run, jixiao.RunFailed, err)
	}
	size := s.ChunkSize
	if size <= 0 {
		size = evaluation.DefaultChunkSize
	}
	f := jixiao.ProjectFilter{IDs: sel.ProjectIDs, Year: sel.Year, Department: sel.Department, Limit: size, AfterKey: -1}
	ref := rs.Ref()

	type scored struct {
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

	read := make(chan []jixiao.StoredProject, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(read)
		for {
			// Read even after a cancel, as Execute does, so that a run
			// with nothing left ends done rather than interrupted.
			stored, _, err := s.Store.FindProjects(context.WithoutCancel(ctx), f)
			if err != nil {
				fail(&readErr, err)
				return
			}
			if len(stored) == 0 {
				mu.Lock()
				exhausted = true
				mu.Unlock()
				return
			}
			if stopCtx.Err() != nil {
				return
			}
			f.AfterKey = stored[len(stored)-1].Key
			todo := stored[:0:0]
			for _, sp := range stored {
				if !done[sp.Key] {
					todo = append(todo, sp)
				}
			}
			if len(todo) == 0 {
				continue
			}
			select {
			case read <- todo:
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
		for todo := range read {
			projects := make([]jixiao.Project, len(todo))
			for i := range todo {
				projects[i] = todo[i].Project
			}
			results, rejected, err := rs.ScoreEach(stopCtx, projects, engine.Batch{Workers: s.Workers})
			if err != nil {
				fail(&scoreErr, err)
				return
			}
			var c scored
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
					CreatedAt: now(s).UTC(),
				})
			}
			toSave <- c // saved even when stopping: the chunk is whole
		}
	}()

	var wg sync.WaitGroup
	const savers = 2
	for range savers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range toSave {
				if _, err := s.Store.SaveChunk(context.WithoutCancel(ctx), run.ID, c.scores, c.rejections); err != nil {
					fail(&saveErr, err)
					continue // drain, so that the scorer never blocks
				}
				mu.Lock()
				saved++
				run.Scored += len(c.scores)
				run.Rejected += len(c.rejections)
				mu.Unlock()
				if s.OnScored != nil {
					s.OnScored(len(c.scores))
				}
			}
		}()
	}
	wg.Wait()
	<-readerDone // a scorer that failed leaves the reader to stop by itself

	// The statuses Execute gives: a failed read or save fails the run, a
	// scoring error fails or interrupts it as ctx says, and a run whose
	// every chunk was saved is done even if ctx was cancelled meanwhile.
	switch {
	case readErr != nil:
		return finish(ctx, s, run, jixiao.RunFailed, readErr)
	case saveErr != nil:
		return finish(ctx, s, run, jixiao.RunFailed, saveErr)
	case scoreErr != nil && ctx.Err() != nil:
		return finish(ctx, s, run, jixiao.RunInterrupted, scoreErr)
	case scoreErr != nil:
		return finish(ctx, s, run, jixiao.RunFailed, scoreErr)
	case exhausted && sent == saved:
		return finish(ctx, s, run, jixiao.RunDone, nil)
	}
	return finish(ctx, s, run, jixiao.RunInterrupted, ctx.Err())
}

// now is evaluation.Service's clock.
func now(s *evaluation.Service) time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// finish is evaluation.Service's finish: the run's final status.
func finish(ctx context.Context, s *evaluation.Service, run *jixiao.Run, status string, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	at := now(s).UTC()
	if err := s.Store.FinishRun(context.WithoutCancel(ctx), run.ID, status, msg, at); err != nil {
		return errors.Join(cause, err)
	}
	run.Status, run.Error, run.FinishedAt = status, msg, &at
	if status == jixiao.RunDone {
		return nil
	}
	return cause
}
