package storage

import (
	"context"
	"testing"
	"time"

	"jixiao"
)

// A run's chunks: planned once as key ranges of the selection, claimed
// one at a time under a lease, claimable again when the lease ends or is
// released, and done with the transaction that saves their scores.
func TestRunChunks(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		stored := storeProjects(t, d, testProjects(2024, 25, "住建局"))
		if _, err := d.UpsertProjects(ctx, testProjects(2023, 5, "住建局")); err != nil { // not selected
			t.Fatal(err)
		}
		run := newRun(t, d, jixiao.RunOfficial)
		f := jixiao.ProjectFilter{Year: 2024, MaxKey: stored[len(stored)-1].Key}
		if n, err := d.PlanChunks(ctx, run.ID, f, 10); err != nil || n != 3 {
			t.Fatalf("PlanChunks: %d chunks, %v; want 3", n, err)
		}
		if n, err := d.PlanChunks(ctx, run.ID, f, 7); err != nil || n != 3 {
			t.Fatalf("PlanChunks again: %d, %v; want the 3 planned first", n, err)
		}
		now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		lease := now.Add(30 * time.Second)
		var got []*jixiao.RunChunk
		for _, owner := range []string{"a", "b", "a"} {
			c, err := d.ClaimChunk(ctx, run.ID, owner, now, lease)
			if err != nil || c == nil {
				t.Fatalf("claim by %s: %v, %v", owner, c, err)
			}
			got = append(got, c)
		}
		// The chunks cover the year's keys in order, 10, 10 and 5.
		keys := func(c *jixiao.RunChunk) (n int) {
			for _, sp := range stored {
				if sp.Key > c.AfterKey && sp.Key <= c.LastKey {
					n++
				}
			}
			return n
		}
		if got[0].AfterKey != -1 || keys(got[0]) != 10 || keys(got[1]) != 10 || keys(got[2]) != 5 ||
			got[1].AfterKey != got[0].LastKey || got[2].AfterKey != got[1].LastKey || got[2].LastKey != stored[24].Key {
			t.Fatalf("chunks %+v %+v %+v", got[0], got[1], got[2])
		}
		if c, err := d.ClaimChunk(ctx, run.ID, "c", now, lease); err != nil || c != nil {
			t.Fatalf("a fourth claim while all are leased: %+v, %v", c, err)
		}
		if ids, err := d.ClaimableRuns(ctx, now); err != nil || len(ids) != 0 {
			t.Errorf("claimable runs while all chunks are leased: %v, %v", ids, err)
		}

		// b saves its chunk; a's leases run out, and c claims them.
		if _, err := d.SaveClaimedChunk(ctx, got[1], nil, nil); err != nil {
			t.Fatal(err)
		}
		later := lease.Add(time.Second)
		if ids, err := d.ClaimableRuns(ctx, later); err != nil || len(ids) != 1 || ids[0] != run.ID {
			t.Errorf("claimable runs after the leases ended: %v, %v", ids, err)
		}
		first, err := d.ClaimChunk(ctx, run.ID, "c", later, later.Add(time.Minute))
		if err != nil || first == nil || first.Seq != got[0].Seq {
			t.Fatalf("claim after the lease ended: %+v, %v; want chunk %d", first, err, got[0].Seq)
		}
		// a renews nothing it no longer holds, and releases its last one.
		if err := d.ReleaseChunks(ctx, run.ID, "a"); err != nil {
			t.Fatal(err)
		}
		last, err := d.ClaimChunk(ctx, run.ID, "c", now, now.Add(time.Minute))
		if err != nil || last == nil || last.Seq != got[2].Seq {
			t.Fatalf("claim after a released its chunks: %+v, %v", last, err)
		}
		if left, err := d.ChunksLeft(ctx, run.ID); err != nil || left != 2 {
			t.Errorf("%d chunks left (%v), want 2", left, err)
		}
		for _, c := range []*jixiao.RunChunk{first, last} {
			if _, err := d.SaveClaimedChunk(ctx, c, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		if left, err := d.ChunksLeft(ctx, run.ID); err != nil || left != 0 {
			t.Errorf("%d chunks left (%v), want none", left, err)
		}
		if c, err := d.ClaimChunk(ctx, run.ID, "c", later, later); err != nil || c != nil {
			t.Errorf("a claim when every chunk is done: %+v, %v", c, err)
		}

		// A selection of nothing has no chunks.
		empty := newRun(t, d, jixiao.RunOfficial)
		if n, err := d.PlanChunks(ctx, empty.ID, jixiao.ProjectFilter{Year: 1999}, 10); err != nil || n != 0 {
			t.Errorf("an empty selection: %d chunks, %v", n, err)
		}
	})
}
