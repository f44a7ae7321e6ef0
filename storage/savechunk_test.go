package storage

import (
	"context"
	"testing"

	"jixiao"
)

// TestSaveChunkRepeats saves a chunk that names a score twice and a
// project with two different scores: each score is stored once, and the
// run links the project to the first of them.
func TestSaveChunkRepeats(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		stored := storeProjects(t, d, testProjects(2024, 3, "住建局"))
		run := newRun(t, d, jixiao.RunOfficial)
		scores := scoresFor(stored, "优", ruleHash)
		other := scores[1]
		other.EngineVersion = "2"
		chunk := []jixiao.ScoreRecord{scores[0], scores[0], scores[1], other, scores[2]}

		added, err := d.SaveChunk(ctx, run.ID, chunk, nil)
		if err != nil {
			t.Fatal(err)
		}
		if added != 3 {
			t.Errorf("added %d, want 3", added)
		}
		if n := count(t, d, "scores"); n != 4 {
			t.Errorf("%d scores, want 4", n)
		}
		if n := count(t, d, "run_scores"); n != 3 {
			t.Errorf("%d links, want 3", n)
		}
		got, _, err := d.FindScores(ctx, jixiao.ScoreFilter{RunID: run.ID, ProjectID: scores[1].ProjectID})
		if err != nil || len(got) != 1 || got[0].EngineVersion != scores[1].EngineVersion {
			t.Errorf("project %s linked to %+v (%v), want engine version %s", scores[1].ProjectID, got, err, scores[1].EngineVersion)
		}

		// Saved again, in another order, nothing is added.
		if added, err := d.SaveChunk(ctx, run.ID, []jixiao.ScoreRecord{other, scores[2], scores[0]}, nil); err != nil || added != 0 {
			t.Errorf("saved again: added %d (%v), want 0", added, err)
		}
		if r, _ := d.FindRun(ctx, run.ID); r.Scored != 3 {
			t.Errorf("run scored %d, want 3", r.Scored)
		}
	})
}
