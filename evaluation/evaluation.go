// Package evaluation runs official evaluations: it scores stored projects
// with one rule-set version, chunk by chunk, and stores every chunk whole,
// so that a run stopped by a shutdown or a crash can be resumed without
// duplicate scores.
package evaluation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"jixiao"
	"jixiao/engine"
)

// DefaultChunkSize is how many projects are scored and committed together.
const DefaultChunkSize = 1000

// Selection says which stored projects a run scores. Empty fields select
// everything.
type Selection struct {
	ProjectIDs []string `json:"project_ids,omitempty"`
	Year       int      `json:"year,omitempty"`
	Department string   `json:"department,omitempty"`
}

func (s Selection) filter() jixiao.ProjectFilter {
	return jixiao.ProjectFilter{IDs: s.ProjectIDs, Year: s.Year, Department: s.Department}
}

// Service starts, executes and resumes runs.
type Service struct {
	Store     jixiao.Store
	Logger    *slog.Logger
	ChunkSize int
	Workers   int              // scoring goroutines; 0 means one per core
	OnScored  func(n int)      // called with the number of projects scored in each chunk
	Now       func() time.Time // for tests; nil means time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Start records a new official run of rs over sel and counts its projects.
func (s *Service) Start(ctx context.Context, rs *engine.RuleSet, sel Selection, who string) (*jixiao.Run, error) {
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
// a time; each chunk is committed whole. When ctx is cancelled it stops at
// a chunk boundary and marks the run interrupted.
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
	done, err := s.Store.DoneKeys(ctx, run.ID)
	if err != nil {
		return s.finish(ctx, run, statusFor(ctx), err)
	}
	size := s.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	f := sel.filter()
	f.Limit = size
	f.AfterKey = -1 // key order: new projects cannot slip in before the cursor
	ref := rs.Ref()
	for {
		// The next batch is read even after a cancel, so that a run with
		// nothing left to score ends done rather than interrupted.
		stored, _, err := s.Store.FindProjects(context.WithoutCancel(ctx), f)
		if err != nil {
			return s.finish(ctx, run, jixiao.RunFailed, err)
		}
		if len(stored) == 0 {
			break
		}
		if ctx.Err() != nil {
			return s.finish(ctx, run, jixiao.RunInterrupted, ctx.Err())
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
		projects := make([]jixiao.Project, len(todo))
		for i := range todo {
			projects[i] = todo[i].Project
		}
		results, rejected, err := rs.ScoreEach(ctx, projects, engine.Batch{Workers: s.Workers})
		if err != nil {
			return s.finish(ctx, run, statusFor(ctx), err)
		}
		scores := make([]jixiao.ScoreRecord, 0, len(todo))
		var rejections []jixiao.RunRejection
		for i, sp := range todo {
			p := &sp.Project
			if rejected[i] != nil {
				rejections = append(rejections, jixiao.RunRejection{RunID: run.ID, ProjectKey: sp.Key, ProjectID: p.ID, Year: p.Year, Errors: rejected[i].Errors})
				continue
			}
			scores = append(scores, jixiao.ScoreRecord{
				RunID: run.ID, ProjectKey: sp.Key, ProjectID: p.ID, Year: p.Year, Department: p.Department,
				Total: results[i].Total, Grade: results[i].Grade, Result: results[i],
				InputHash: sp.InputHash, RuleSetID: ref.ID, RuleSetHash: ref.Hash, EngineVersion: engine.Version,
				CreatedAt: s.now().UTC(),
			})
		}
		// A chunk scored in full is stored even if a shutdown began
		// meanwhile: it is whole. (A chunk cut short is not stored.)
		if _, err := s.Store.SaveChunk(context.WithoutCancel(ctx), run.ID, scores, rejections); err != nil {
			return s.finish(ctx, run, jixiao.RunFailed, err)
		}
		run.Scored += len(scores)
		run.Rejected += len(rejections)
		if s.OnScored != nil {
			s.OnScored(len(scores))
		}
	}
	return s.finish(ctx, run, jixiao.RunDone, nil)
}

func statusFor(ctx context.Context) string {
	if ctx.Err() != nil {
		return jixiao.RunInterrupted
	}
	return jixiao.RunFailed
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
