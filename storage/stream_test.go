package storage

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"jixiao"
)

// collect streams f in chunks of n and returns the keys and projects.
func collect(t *testing.T, d *DB, f jixiao.ProjectFilter, n int) ([]int64, []jixiao.Project) {
	t.Helper()
	var keys []int64
	var projects []jixiao.Project
	err := d.StreamProjects(context.Background(), f, n, func(chunk []jixiao.StoredProject) error {
		if len(chunk) > n {
			t.Errorf("chunk of %d, want at most %d", len(chunk), n)
		}
		for _, sp := range chunk {
			keys = append(keys, sp.Key)
			projects = append(projects, sp.Project)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, projects
}

// The stream gives what FindProjects gives a batch reader, in key order,
// with the same filters.
func TestStreamProjects(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		a := testProjects(2024, 130, "财政局")
		b := testProjects(2023, 70, "教育局")
		for i := range a {
			if i%3 == 0 {
				a[i].Department = "教育局"
			}
		}
		for _, batch := range [][]jixiao.Project{a[:60], b, a[60:]} {
			if _, err := d.UpsertProjects(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		// Updated projects have their new inputs after all others: out of
		// the order of their keys.
		for _, i := range []int{3, 40, 41, 42, 100} {
			a[i].Spent += 100
			if _, err := d.UpsertProjects(ctx, a[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		maxKey, err := d.MaxProjectKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []jixiao.ProjectFilter{
			{},
			{Year: 2024},
			{Department: "教育局"},
			{Year: 2024, Department: "教育局"},
			{IDs: []string{"P00002", "P00065", "P00129"}},
			{Year: 2023, IDs: []string{"P00002", "P00065"}},
			{MaxKey: 100},
			{AfterKey: 50, MaxKey: maxKey},
			{Year: 1999},
		} {
			if f.AfterKey == 0 {
				f.AfterKey = -1 // FindProjects in key order
			}
			f.Limit = 100000
			want, _, err := d.FindProjects(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var wantKeys []int64
			var wantProjects []jixiao.Project
			for _, sp := range want {
				wantKeys = append(wantKeys, sp.Key)
				wantProjects = append(wantProjects, sp.Project)
			}
			for _, n := range []int{1, 2, 7, 64, 1000} {
				keys, projects := collect(t, d, f, n)
				if !reflect.DeepEqual(keys, wantKeys) || !reflect.DeepEqual(projects, wantProjects) {
					t.Errorf("filter %+v, chunks of %d: keys %v, want %v", f, n, keys, wantKeys)
				}
			}
		}
		err = d.StreamProjects(ctx, jixiao.ProjectFilter{MaxKey: -1}, 10, func([]jixiao.StoredProject) error {
			t.Error("MaxKey -1 selects nothing")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// An error from fn, or a cancelled context, stops the stream.
func TestStreamProjectsStops(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		if _, err := d.UpsertProjects(ctx, testProjects(2024, 100, "财政局")); err != nil {
			t.Fatal(err)
		}
		stop := errors.New("stop")
		calls := 0
		err := d.StreamProjects(ctx, jixiao.ProjectFilter{}, 10, func([]jixiao.StoredProject) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("error %v after %d calls, want stop after 1", err, calls)
		}

		cctx, cancel := context.WithCancel(ctx)
		calls = 0
		err = d.StreamProjects(cctx, jixiao.ProjectFilter{}, 10, func([]jixiao.StoredProject) error {
			calls++
			if calls == 2 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || calls != 2 {
			t.Errorf("error %v after %d calls, want context.Canceled after 2", err, calls)
		}
	})
}

// Inputs stored in another order than their projects are found by hash.
func TestStreamProjectsInputsOutOfOrder(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		ps := testProjects(2024, 300, "财政局")
		// Store every project, then change them all in reverse order: the
		// current inputs run against the keys.
		if _, err := d.UpsertProjects(ctx, ps); err != nil {
			t.Fatal(err)
		}
		for i := len(ps) - 1; i >= 0; i-- {
			ps[i].Spent += jixiao.Cents(int64(i))
			if _, err := d.UpsertProjects(ctx, ps[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		_, got := collect(t, d, jixiao.ProjectFilter{}, 50)
		if !reflect.DeepEqual(got, ps) {
			t.Errorf("projects differ from those stored")
		}
	})
}
