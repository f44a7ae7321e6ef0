package storage

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"jixiao"
)

func TestRuleSetVersions(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		clk := newClock(d)
		ctx := context.Background()

		v1 := jixiao.RuleSetVersion{RuleSetID: "cn-mof-2020-self", Version: "2024.1", Hash: "h1", Name: "项目支出绩效自评", Body: "id: cn-mof-2020-self\n", Source: jixiao.SourceBuiltin}
		v2 := jixiao.RuleSetVersion{RuleSetID: "cn-mof-2020-self", Version: "2024.2", Hash: "h2", Name: "项目支出绩效自评", Body: "id: cn-mof-2020-self\n# 2\n", Source: jixiao.SourceAPI, LoadedBy: "admin"}
		other := jixiao.RuleSetVersion{RuleSetID: "hubei-self", Version: "1", Hash: "h3", Name: "湖北", Body: "id: hubei-self\n", Source: jixiao.SourceFile, Path: "/etc/jixiao/hubei.yaml"}

		for _, v := range []jixiao.RuleSetVersion{v1, v2, other} {
			clk.tick()
			if err := d.SaveRuleSetVersion(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		// Saving v1 again later changes nothing, not even its load time.
		clk.tick()
		again := v1
		again.LoadedBy = "someone else"
		if err := d.SaveRuleSetVersion(ctx, again); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, "ruleset_versions"); n != 3 {
			t.Fatalf("%d versions stored, want 3", n)
		}

		got, err := d.FindRuleSetVersions(ctx, "cn-mof-2020-self")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		v1.LoadedAt, v2.LoadedAt = start.Add(time.Second), start.Add(2*time.Second)
		if !reflect.DeepEqual(got, []jixiao.RuleSetVersion{v2, v1}) {
			t.Errorf("versions\n%+v\nwant\n%+v", got, []jixiao.RuleSetVersion{v2, v1})
		}
		if all, _ := d.FindRuleSetVersions(ctx, ""); len(all) != 3 {
			t.Errorf("all versions: %d, want 3", len(all))
		}
		if none, err := d.FindRuleSetVersions(ctx, "nothing"); err != nil || len(none) != 0 {
			t.Errorf("versions of an unknown rule set: %v, %v", none, err)
		}

		at := time.Date(2025, 4, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
		if err := d.MarkRuleSetActivated(ctx, "cn-mof-2020-self", "h1", at); err != nil {
			t.Fatal(err)
		}
		wantCode(t, d.MarkRuleSetActivated(ctx, "hubei-self", "h1", at), jixiao.ENOTFOUND)
		v, err := d.FindRuleSetVersion(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		if v.ActivatedAt == nil || !v.ActivatedAt.Equal(at) || v.ActivatedAt.Location() != time.UTC || v.Body != v1.Body {
			t.Errorf("activated version: %+v", v)
		}

		for _, bad := range []jixiao.RuleSetVersion{{Hash: "x", Source: jixiao.SourceAPI}, {RuleSetID: "x", Source: jixiao.SourceAPI}, {RuleSetID: "x", Hash: "x", Source: "ftp"}} {
			wantCode(t, d.SaveRuleSetVersion(ctx, bad), jixiao.EINVALID)
		}
	})
}

func TestAudit(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		clk := newClock(d)
		ctx := context.Background()
		entries := []jixiao.AuditEntry{
			{Actor: "admin", Action: "ruleset.activate", Subject: "cn-mof-2020-self", Detail: json.RawMessage(`{"hash":"h1"}`)},
			{Actor: "admin", Action: "key.create", Subject: "3"},
			{At: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Actor: "scorer", Action: "projects.import"},
		}
		for _, e := range entries {
			clk.tick()
			if err := d.AddAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, d.AddAudit(ctx, jixiao.AuditEntry{Action: "x"}), jixiao.EINVALID)

		got, total, err := d.FindAudit(ctx, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(got) != 2 || got[0].Action != "projects.import" || got[1].Action != "key.create" {
			t.Fatalf("audit page: %+v (total %d)", got, total)
		}
		if !got[0].At.Equal(entries[2].At) || got[1].Detail != nil {
			t.Errorf("audit entries: %+v", got)
		}
		rest, _, err := d.FindAudit(ctx, 2, 2)
		if err != nil || len(rest) != 1 || string(rest[0].Detail) != `{"hash":"h1"}` || !rest[0].At.Equal(time.Date(2025, 3, 1, 9, 0, 1, 0, time.UTC)) {
			t.Errorf("last page: %+v, %v", rest, err)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		newClock(d)
		ctx := context.Background()

		if n, err := d.CountAPIKeys(ctx); err != nil || n != 0 {
			t.Fatalf("fresh database: %d keys (%v)", n, err)
		}
		admin := &jixiao.APIKey{Name: "bootstrap", Role: jixiao.RoleAdmin, Prefix: "jx_ab12", Hash: "hash-admin"}
		viewer := &jixiao.APIKey{Name: "财政局看板", Role: jixiao.RoleViewer, Prefix: "jx_cd34", Hash: "hash-viewer"}
		for _, k := range []*jixiao.APIKey{admin, viewer} {
			if err := d.CreateAPIKey(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		if admin.ID == 0 || viewer.ID == admin.ID || admin.CreatedAt.IsZero() {
			t.Fatalf("created %+v %+v", admin, viewer)
		}
		wantCode(t, d.CreateAPIKey(ctx, &jixiao.APIKey{Name: "copy", Role: jixiao.RoleViewer, Hash: "hash-admin"}), jixiao.ECONFLICT)
		wantCode(t, d.CreateAPIKey(ctx, &jixiao.APIKey{Name: "x", Role: "root", Hash: "h"}), jixiao.EINVALID)

		got, err := d.FindAPIKeyByHash(ctx, "hash-viewer")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, viewer) {
			t.Errorf("found\n%+v\nwant\n%+v", got, viewer)
		}

		at := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
		if revoked, err := d.RevokeAPIKey(ctx, viewer.ID, at); err != nil || !revoked {
			t.Fatal(revoked, err)
		}
		if revoked, err := d.RevokeAPIKey(ctx, viewer.ID, at.Add(time.Hour)); err != nil || revoked {
			t.Fatal("revoked again:", revoked, err)
		}
		got, err = d.FindAPIKeyByHash(ctx, "hash-viewer")
		if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
			t.Errorf("revoked key: %+v, %v", got, err)
		}
		keys, err := d.FindAPIKeys(ctx)
		if err != nil || len(keys) != 2 || keys[0].ID != admin.ID || keys[1].RevokedAt == nil {
			t.Errorf("keys: %+v, %v", keys, err)
		}
		if n, err := d.CountAPIKeys(ctx); err != nil || n != 2 {
			t.Errorf("%d keys (%v), want 2", n, err)
		}
	})
}

func TestScenarios(t *testing.T) {
	forEachDB(t, func(t *testing.T, d *DB) {
		clk := newClock(d)
		ctx := context.Background()

		s := &jixiao.Scenario{Name: "执行率提高到 95%", CreatedBy: "张三", Request: json.RawMessage(`{"changes":{"spent":570000}}`), Summary: json.RawMessage(`{"total":"92.10"}`)}
		if err := d.SaveScenario(ctx, s); err != nil {
			t.Fatal(err)
		}
		clk.tick()
		s2 := &jixiao.Scenario{Name: "第二个", Request: json.RawMessage(`{}`), Summary: json.RawMessage(`{}`)}
		if err := d.SaveScenario(ctx, s2); err != nil {
			t.Fatal(err)
		}
		got, err := d.FindScenario(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("found\n%+v\nwant\n%+v", got, s)
		}

		s.Name, s.Summary = "改名", json.RawMessage(`{"total":"93.00"}`)
		if err := d.SaveScenario(ctx, s); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.FindScenario(ctx, s.ID); got.Name != "改名" || string(got.Summary) != `{"total":"93.00"}` || !got.CreatedAt.Equal(s.CreatedAt) {
			t.Errorf("updated scenario: %+v", got)
		}

		list, total, err := d.FindScenarios(ctx, 0, 1)
		if err != nil || total != 2 || len(list) != 1 || list[0].ID != s2.ID {
			t.Errorf("scenarios: %+v (%d), %v", list, total, err)
		}
		wantCode(t, d.SaveScenario(ctx, &jixiao.Scenario{}), jixiao.EINVALID)
	})
}
