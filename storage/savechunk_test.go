package storage

import (
	"context"
	"errors"
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

// TestCopyChunk: on PostgreSQL a chunk of new scores is written by COPY
// (copyChunk), and one naming a score stored before is left to the
// general path, with nothing of the attempt kept.
func TestCopyChunk(t *testing.T) {
	d := openPostgresTest(t)
	ctx := context.Background()
	stored := storeProjects(t, d, testProjects(2024, 4, "住建局"))
	run := newRun(t, d, jixiao.RunOfficial)
	scores := scoresFor(stored, "优", ruleHash)

	inserts, err := scoreInserts(scores[:2], d.now())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.copyChunk(ctx, run.ID, nil, inserts, nil); err != nil || n != 2 {
		t.Fatalf("copyChunk of new scores: %d, %v; want 2", n, err)
	}
	var compression string
	if err := d.w.Raw("SELECT pg_column_compression(result) FROM scores LIMIT 1").Scan(&compression).Error; err != nil {
		t.Fatal(err)
	}
	t.Logf("results compressed with %q (empty: stored uncompressed, too short)", compression)

	inserts, err = scoreInserts(scores[1:], d.now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.copyChunk(ctx, run.ID, nil, inserts, nil); !errors.Is(err, errScoresStored) {
		t.Fatalf("copyChunk naming a stored score: %v, want errScoresStored", err)
	}
	if n := count(t, d, "scores"); n != 2 {
		t.Errorf("%d scores after the refused copy, want 2", n)
	}
	// The general path links the two new scores; the third was linked
	// by the first copy.
	if added, err := d.SaveChunk(ctx, run.ID, scores[1:], nil); err != nil || added != 2 {
		t.Fatalf("SaveChunk after the refused copy: added %d (%v), want 2", added, err)
	}
	if r, _ := d.FindRun(ctx, run.ID); r.Scored != 4 {
		t.Errorf("run scored %d, want 4", r.Scored)
	}
}
