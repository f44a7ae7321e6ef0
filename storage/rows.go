package storage

import (
	"encoding/json"
	"time"

	"jixiao"
)

// Rows as stored. Every column is named, so that the mapping does not
// depend on GORM's naming rules; the tables themselves come from the
// migrations, never from these structs. JSON columns are strings, so that
// SQLite stores them as TEXT rather than BLOB.

type inputRow struct {
	Hash      string    `gorm:"column:hash;primaryKey"`
	Body      string    `gorm:"column:body"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (inputRow) TableName() string { return "project_inputs" }

type projectRow struct {
	ID         int64  `gorm:"column:id;primaryKey"`
	Year       int    `gorm:"column:year"`
	ProjectID  string `gorm:"column:project_id"`
	Department string `gorm:"column:department"`
	// DepartmentCode is the department the project belongs to, matched
	// by its name at each upsert; nil without a department.
	DepartmentCode *string   `gorm:"column:department_code"`
	Status         string    `gorm:"column:status;->"` // read only: written by reviews
	Name           string    `gorm:"column:name"`
	InputHash      string    `gorm:"column:input_hash"`
	CreatedAt      time.Time `gorm:"column:created_at"`
	UpdatedAt      time.Time `gorm:"column:updated_at"`
}

func (projectRow) TableName() string { return "projects" }

// storedProjectRow is a project with its input body.
type storedProjectRow struct {
	ID        int64     `gorm:"column:id"`
	InputHash string    `gorm:"column:input_hash"`
	CreatedAt time.Time `gorm:"column:created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
	Status    string    `gorm:"column:status"`
	// DepartmentCode is NULL for a project whose department is unknown.
	DepartmentCode *string `gorm:"column:department_code"`
	Body           string  `gorm:"column:body"`
}

func (r *storedProjectRow) stored(slabs *decodeSlabs) (jixiao.StoredProject, error) {
	sp := jixiao.StoredProject{Key: r.ID, InputHash: r.InputHash, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Status: r.Status, DepartmentCode: deref(r.DepartmentCode)}
	err := slabs.decode(r.Body, &sp.Project)
	return sp, err
}

type ruleSetRow struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	RuleSetID   string     `gorm:"column:ruleset_id"`
	Version     string     `gorm:"column:version"`
	Hash        string     `gorm:"column:hash"`
	Name        string     `gorm:"column:name"`
	Body        string     `gorm:"column:body"`
	Source      string     `gorm:"column:source"`
	Path        string     `gorm:"column:path"`
	LoadedBy    string     `gorm:"column:loaded_by"`
	LoadedAt    time.Time  `gorm:"column:loaded_at"`
	ActivatedAt *time.Time `gorm:"column:activated_at"`
}

func (ruleSetRow) TableName() string { return "ruleset_versions" }

func (r *ruleSetRow) version() jixiao.RuleSetVersion {
	return jixiao.RuleSetVersion{
		RuleSetID: r.RuleSetID, Version: r.Version, Hash: r.Hash, Name: r.Name, Body: r.Body,
		Source: r.Source, Path: r.Path, LoadedBy: r.LoadedBy, LoadedAt: r.LoadedAt, ActivatedAt: r.ActivatedAt,
	}
}

type runRow struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	Kind        string     `gorm:"column:kind"`
	RuleSetID   string     `gorm:"column:ruleset_id"`
	RuleSetHash string     `gorm:"column:ruleset_hash"`
	RequestedBy string     `gorm:"column:requested_by"`
	Status      string     `gorm:"column:status"`
	Selection   *string    `gorm:"column:selection"`
	Total       int        `gorm:"column:total"`
	Scored      int        `gorm:"column:scored"`
	Rejected    int        `gorm:"column:rejected"`
	StartedAt   time.Time  `gorm:"column:started_at"`
	FinishedAt  *time.Time `gorm:"column:finished_at"`
	Error       string     `gorm:"column:error"`
	// DepartmentCode is the department of the scoped account that
	// started the run; nil for the bureau's.
	DepartmentCode *string `gorm:"column:department_code"`
}

func (runRow) TableName() string { return "runs" }

func (r *runRow) run() jixiao.Run {
	return jixiao.Run{
		ID: r.ID, Kind: r.Kind, RuleSetID: r.RuleSetID, RuleSetHash: r.RuleSetHash, RequestedBy: r.RequestedBy,
		Status: r.Status, Selection: rawJSON(r.Selection), Total: r.Total, Scored: r.Scored, Rejected: r.Rejected,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Error: r.Error,
	}
}

// scoreInsert is a new score. It has no id field on purpose: GORM would
// add RETURNING id and copy the returned ids onto the rows in order,
// which is wrong when ON CONFLICT DO NOTHING skipped some of them.
type scoreInsert struct {
	ProjectKey    int64     `gorm:"column:project_key"`
	ProjectID     string    `gorm:"column:project_id"`
	Year          int       `gorm:"column:year"`
	Department    string    `gorm:"column:department"`
	TotalCents    int64     `gorm:"column:total_cents"`
	Grade         string    `gorm:"column:grade"`
	Result        string    `gorm:"column:result"`
	InputHash     string    `gorm:"column:input_hash"`
	RuleSetID     string    `gorm:"column:ruleset_id"`
	RuleSetHash   string    `gorm:"column:ruleset_hash"`
	EngineVersion string    `gorm:"column:engine_version"`
	CreatedAt     time.Time `gorm:"column:created_at"`
}

func (scoreInsert) TableName() string { return "scores" }

// scoreRow is a stored score with the run it is reported under.
type scoreRow struct {
	ID    int64       `gorm:"column:id"`
	RunID int64       `gorm:"column:run_id"`
	Score scoreInsert `gorm:"embedded"`
}

func (row *scoreRow) record() (jixiao.ScoreRecord, error) {
	r := &row.Score
	s := jixiao.ScoreRecord{
		ID: row.ID, RunID: row.RunID,
		ProjectKey: r.ProjectKey, ProjectID: r.ProjectID, Year: r.Year,
		Department: r.Department, Total: jixiao.Cents(r.TotalCents), Grade: r.Grade, InputHash: r.InputHash,
		RuleSetID: r.RuleSetID, RuleSetHash: r.RuleSetHash, EngineVersion: r.EngineVersion, CreatedAt: r.CreatedAt,
	}
	err := json.Unmarshal([]byte(r.Result), &s.Result)
	return s, err
}

type runScoreRow struct {
	RunID      int64 `gorm:"column:run_id"`
	ScoreID    int64 `gorm:"column:score_id"`
	ProjectKey int64 `gorm:"column:project_key"`
}

func (runScoreRow) TableName() string { return "run_scores" }

type rejectionRow struct {
	RunID      int64  `gorm:"column:run_id"`
	ProjectKey int64  `gorm:"column:project_key"`
	ProjectID  string `gorm:"column:project_id"`
	Year       int    `gorm:"column:year"`
	Errors     string `gorm:"column:errors"`
}

func (rejectionRow) TableName() string { return "run_rejections" }

type auditRow struct {
	ID      int64     `gorm:"column:id;primaryKey"`
	At      time.Time `gorm:"column:at"`
	Actor   string    `gorm:"column:actor"`
	Action  string    `gorm:"column:action"`
	Subject string    `gorm:"column:subject"`
	Detail  *string   `gorm:"column:detail"`
}

func (auditRow) TableName() string { return "audit_log" }

type apiKeyRow struct {
	ID             int64      `gorm:"column:id;primaryKey"`
	Hash           string     `gorm:"column:key_hash"`
	Prefix         string     `gorm:"column:prefix"`
	Name           string     `gorm:"column:name"`
	Role           string     `gorm:"column:role"`
	DepartmentCode *string    `gorm:"column:department_code"`
	CreatedAt      time.Time  `gorm:"column:created_at"`
	RevokedAt      *time.Time `gorm:"column:revoked_at"`
}

func (apiKeyRow) TableName() string { return "api_keys" }

func (r *apiKeyRow) key() jixiao.APIKey {
	return jixiao.APIKey{ID: r.ID, Name: r.Name, Role: r.Role, Department: deref(r.DepartmentCode), Prefix: r.Prefix, Hash: r.Hash, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
}

type scenarioRow struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	Name      string    `gorm:"column:name"`
	CreatedBy string    `gorm:"column:created_by"`
	CreatedAt time.Time `gorm:"column:created_at"`
	Request   string    `gorm:"column:request"`
	Summary   string    `gorm:"column:summary"`
	// DepartmentCode is the department of the scoped account that saved
	// the scenario; nil for the bureau's.
	DepartmentCode *string `gorm:"column:department_code"`
}

func (scenarioRow) TableName() string { return "scenarios" }

func (r *scenarioRow) scenario() jixiao.Scenario {
	return jixiao.Scenario{ID: r.ID, Name: r.Name, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt,
		Request: rawJSON(&r.Request), Summary: rawJSON(&r.Summary)}
}

// nullJSON stores an empty document as NULL.
func nullJSON(b json.RawMessage) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}

func rawJSON(s *string) json.RawMessage {
	if s == nil || *s == "" {
		return nil
	}
	return json.RawMessage(*s)
}
