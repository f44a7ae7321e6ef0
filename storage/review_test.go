package storage

import (
	"context"
	"strings"
	"testing"

	"jixiao"
)

func TestReviewWorkflow(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		if err := d.CreateDepartment(ctx, &jixiao.Department{Code: "A", Name: "甲局"}); err != nil {
			t.Fatal(err)
		}
		dept := jixiao.WithScope(ctx, jixiao.Scope{Department: "A", Departments: []string{"A"}})
		p := testProject(2024, "R-1", "甲局")
		if _, err := d.UpsertProjects(dept, []jixiao.Project{p}); err != nil {
			t.Fatal(err)
		}
		state, err := d.FindReviews(ctx, 2024, "R-1")
		if err != nil || state.Status != jixiao.StatusDraft || len(state.Reviews) != 0 {
			t.Fatalf("a new project: %+v, %v", state, err)
		}
		review := func(ctx context.Context, action, actor, hash, comment string) (jixiao.ReviewState, error) {
			return d.Review(ctx, 2024, "R-1", jixiao.Review{Action: action, Actor: actor, InputHash: hash, Comment: comment,
				IndicatorComments: map[string]string{"数量": "与年初目标不符"}})
		}
		// Nothing but a submission from a draft.
		for _, a := range []string{jixiao.ReviewApprove, jixiao.ReviewReturn} {
			_, err := review(ctx, a, "user:reviewer", "", "意见")
			wantCode(t, err, jixiao.ECONFLICT)
		}
		state, err = review(dept, jixiao.ReviewSubmit, "user:jia", "", "")
		if err != nil || state.Status != jixiao.StatusSubmitted {
			t.Fatalf("submitted: %+v, %v", state, err)
		}
		submitted := state.InputHash

		// Submitted: the department may not edit it; the same content is no edit.
		changed := p
		changed.Name += "（修改）"
		_, err = d.UpsertProjects(dept, []jixiao.Project{changed})
		wantCode(t, err, jixiao.EINVALID)
		if _, err := d.UpsertProjects(dept, []jixiao.Project{p}); err != nil {
			t.Errorf("storing the submitted content again: %v", err)
		}
		// Approving one's own submission, a stale version, or returning
		// without a comment are refused.
		_, err = review(ctx, jixiao.ReviewApprove, "user:jia", submitted, "")
		wantCode(t, err, jixiao.EFORBIDDEN)
		_, err = review(ctx, jixiao.ReviewApprove, "user:reviewer", "0000", "")
		wantCode(t, err, jixiao.ECONFLICT)
		_, err = review(ctx, jixiao.ReviewReturn, "user:reviewer", submitted, "")
		wantCode(t, err, jixiao.EINVALID)

		// Returned with comments, edited and submitted again, approved.
		if state, err = review(ctx, jixiao.ReviewReturn, "user:reviewer", submitted, "请补充数量指标的说明"); err != nil || state.Status != jixiao.StatusReturned {
			t.Fatalf("returned: %+v, %v", state, err)
		}
		if _, err := d.UpsertProjects(dept, []jixiao.Project{changed}); err != nil {
			t.Fatalf("editing a returned project: %v", err)
		}
		if state, err = review(dept, jixiao.ReviewSubmit, "user:jia", "", ""); err != nil || state.InputHash == submitted {
			t.Fatalf("submitted again: %+v, %v", state, err)
		}
		// A bureau edit after the submission hands the project back to
		// its department as a draft, to check and submit again.
		bureauEdit := changed
		bureauEdit.Name += "（财政局修改）"
		if _, err := d.UpsertProjects(ctx, []jixiao.Project{bureauEdit}); err != nil {
			t.Fatal(err)
		}
		_, err = review(ctx, jixiao.ReviewApprove, "user:reviewer", state.InputHash, "")
		wantCode(t, err, jixiao.ECONFLICT)
		if state, err = d.FindReviews(ctx, 2024, "R-1"); err != nil || state.Status != jixiao.StatusDraft {
			t.Fatalf("after the bureau's edit: %+v, %v", state, err)
		}
		if state, err = review(dept, jixiao.ReviewSubmit, "user:jia", "", ""); err != nil {
			t.Fatalf("submitted after the bureau's edit: %+v, %v", state, err)
		}
		if state, err = review(ctx, jixiao.ReviewApprove, "user:reviewer", state.InputHash, ""); err != nil || state.Status != jixiao.StatusApproved {
			t.Fatalf("approved: %+v, %v", state, err)
		}
		_, err = d.UpsertProjects(dept, []jixiao.Project{p})
		wantCode(t, err, jixiao.EINVALID) // approved: no more edits by the department

		var actions []string
		for _, r := range state.Reviews {
			actions = append(actions, r.Action+":"+r.Actor)
		}
		want := "submit:user:jia return:user:reviewer submit:user:jia submit:user:jia approve:user:reviewer"
		if got := strings.Join(actions, " "); got != want {
			t.Errorf("history %s, want %s", got, want)
		}
		if state.Reviews[1].Comment != "请补充数量指标的说明" || state.Reviews[1].IndicatorComments["数量"] != "与年初目标不符" {
			t.Errorf("the return's comments: %+v", state.Reviews[1])
		}
		// Another department's account does not find the project.
		other := jixiao.WithScope(ctx, jixiao.Scope{Department: "B", Departments: []string{"B"}})
		_, err = d.FindReviews(other, 2024, "R-1")
		wantCode(t, err, jixiao.ENOTFOUND)
		_, err = d.Review(other, 2024, "R-1", jixiao.Review{Action: jixiao.ReviewSubmit, Actor: "user:yi"})
		wantCode(t, err, jixiao.ENOTFOUND)
	})
}
