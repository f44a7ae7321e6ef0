package api_test

import (
	"net/http"
	"testing"

	"jixiao"
)

func TestDepartmentsAPI(t *testing.T) {
	st := newStack(t)
	st.seedHuaihua()
	type list struct {
		Items []jixiao.Department `json:"items"`
	}
	var got list
	st.get(jixiao.RoleViewer, "/api/v1/departments").want(t, http.StatusOK).decode(t, &got)
	if len(got.Items) != 1 || got.Items[0].Projects != 26 || got.Items[0].Code[0] != 'D' {
		t.Fatalf("departments of the Huaihua projects: %+v", got.Items)
	}
	auto := got.Items[0]

	var created jixiao.Department
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments", map[string]string{"code": "101", "name": "公积金中心"}).
		want(t, http.StatusCreated).decode(t, &created)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments", map[string]string{"code": "101-1", "name": "鹤城区管理部", "parent_code": "101"}).
		want(t, http.StatusCreated)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments", map[string]string{"code": "101", "name": "重名"}).problem(t, http.StatusConflict, jixiao.ECONFLICT)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments", map[string]string{"code": "一", "name": "某局"}).problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments", map[string]string{"code": "102", "name": "某局", "parent_code": "999"}).problem(t, http.StatusNotFound, jixiao.ENOTFOUND)

	var merged struct {
		Moved int `json:"moved_projects"`
	}
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments/"+auto.Code+"/merge", map[string]string{"into": "101"}).want(t, http.StatusOK).decode(t, &merged)
	if merged.Moved != 26 {
		t.Errorf("moved %d projects, want 26", merged.Moved)
	}
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments/"+auto.Code+"/merge", map[string]string{"into": "101"}).problem(t, http.StatusConflict, jixiao.ECONFLICT)
	st.postJSON(jixiao.RoleAdmin, "/api/v1/departments/nope/merge", map[string]string{"into": "101"}).problem(t, http.StatusNotFound, jixiao.ENOTFOUND)

	var renamed jixiao.Department
	st.do(request{method: http.MethodPatch, path: "/api/v1/departments/101-1", role: jixiao.RoleAdmin, ctype: "application/json",
		body: []byte(`{"name": "鹤城管理部"}`)}).want(t, http.StatusOK).decode(t, &renamed)
	if renamed.Name != "鹤城管理部" || renamed.ParentCode != "101" {
		t.Errorf("renamed: %+v", renamed)
	}
	st.do(request{method: http.MethodPatch, path: "/api/v1/departments/101", role: jixiao.RoleAdmin, ctype: "application/json",
		body: []byte(`{"parent_code": "101-1"}`)}).problem(t, http.StatusUnprocessableEntity, jixiao.EINVALID)

	st.get(jixiao.RoleViewer, "/api/v1/departments").want(t, http.StatusOK).decode(t, &got)
	byCode := map[string]jixiao.Department{}
	for _, d := range got.Items {
		byCode[d.Code] = d
	}
	if byCode["101"].Projects != 26 || byCode[auto.Code].MergedInto != "101" || byCode[auto.Code].Projects != 0 {
		t.Errorf("after the merge: %+v", got.Items)
	}
	var audit struct {
		Items []jixiao.AuditEntry `json:"items"`
	}
	st.get(jixiao.RoleAdmin, "/api/v1/audit").want(t, http.StatusOK).decode(t, &audit)
	actions := map[string]bool{}
	for _, e := range audit.Items {
		actions[e.Action] = true
	}
	for _, a := range []string{"department.create", "department.merge", "department.update"} {
		if !actions[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
}
