package jixiao

import (
	"context"
	"encoding/json"
	"time"
)

// StoredProject is a project as submitted, with its storage key and the
// hash of its canonical input.
type StoredProject struct {
	Key       int64     `json:"-"`
	Project   Project   `json:"project"`
	InputHash string    `json:"input_hash"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Status is where its self-evaluation is in the review (StatusDraft…).
	Status         string `json:"status"`
	DepartmentCode string `json:"department_code,omitempty"`
}

// ProjectFilter selects stored projects. Zero fields do not filter.
// Grade filters on the latest official score.
type ProjectFilter struct {
	Year       int
	Department string
	Grade      string
	IDs        []string // project ids (with Year, or in any year)
	// Refs selects projects by year and id together: a selection across
	// years that names only its own projects.
	Refs []ProjectRef
	// DepartmentCodes selects the projects of these departments (a run
	// started by a scoped account); the store also limits every filter
	// to the scope of the call's context (jixiao.ScopeOf).
	DepartmentCodes []string
	// Statuses selects projects whose review is at one of these
	// statuses (an official evaluation: approved ones).
	Statuses []string
	AfterKey int64 // batch reading in key order after this key; -1 starts at the first key, 0 orders by year and id instead
	MaxKey   int64 // only projects stored with a key up to this one; 0: no bound, -1: none
	Offset   int
	Limit    int // 0: no limit
}

// ProjectRef names one stored project: its year and id.
type ProjectRef struct {
	Year int    `json:"year"`
	ID   string `json:"id"`
}

// Upserted counts what a bulk upsert did.
type Upserted struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Source of a rule-set version.
const (
	SourceBuiltin = "builtin"
	SourceFile    = "file"
	SourceAPI     = "api"
)

// RuleSetVersion is one stored version of a rule file. Every activation
// stores the version, so any stored score can be reproduced from it.
type RuleSetVersion struct {
	RuleSetID   string     `json:"id"`
	Version     string     `json:"version"`
	Hash        string     `json:"hash"`
	Name        string     `json:"name"`
	Body        string     `json:"body,omitempty"`
	Source      string     `json:"source"` // builtin, file or api
	Path        string     `json:"path,omitempty"`
	LoadedBy    string     `json:"loaded_by,omitempty"`
	LoadedAt    time.Time  `json:"loaded_at"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
}

// Run kinds and statuses.
const (
	RunOfficial   = "official"
	RunSimulation = "simulation"

	RunRunning     = "running"
	RunDone        = "done"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
)

// Run is one evaluation: a set of projects scored with one rule-set
// version.
type Run struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	RuleSetID   string          `json:"ruleset_id"`
	RuleSetHash string          `json:"ruleset_hash"`
	RequestedBy string          `json:"requested_by,omitempty"`
	Status      string          `json:"status"`
	Selection   json.RawMessage `json:"selection,omitempty"` // what was asked for, to resume
	Total       int             `json:"total"`
	Scored      int             `json:"scored"`
	Rejected    int             `json:"rejected"`
	StartedAt   time.Time       `json:"started_at"`
	FinishedAt  *time.Time      `json:"finished_at,omitempty"`
	Error       string          `json:"error,omitempty"`
}

// ScoreRecord is a stored official score with everything needed to
// reproduce it: the input hash, the rule-set hash and the engine version.
type ScoreRecord struct {
	ID            int64     `json:"id"`
	RunID         int64     `json:"run_id"`
	ProjectKey    int64     `json:"-"`
	ProjectID     string    `json:"project_id"`
	Year          int       `json:"year"`
	Department    string    `json:"department,omitempty"`
	Total         Decimal   `json:"total"`
	Grade         string    `json:"grade"`
	Result        Result    `json:"result"`
	InputHash     string    `json:"input_hash"`
	RuleSetID     string    `json:"ruleset_id"`
	RuleSetHash   string    `json:"ruleset_hash"`
	EngineVersion string    `json:"engine_version"`
	CreatedAt     time.Time `json:"created_at"`
}

// RunChunk is a part of an official run: the projects of its selection
// with keys in (AfterKey, LastKey].
type RunChunk struct {
	RunID    int64
	Seq      int
	AfterKey int64
	LastKey  int64
}

// ScoreFilter selects stored scores.
type ScoreFilter struct {
	RunID      int64
	ProjectID  string
	Year       int
	Department string
	Grade      string
	RuleSetID  string
	Offset     int
	Limit      int
}

// RunRejection is a project a run could not score.
type RunRejection struct {
	RunID      int64    `json:"run_id"`
	ProjectKey int64    `json:"-"`
	ProjectID  string   `json:"project_id"`
	Year       int      `json:"year"`
	Errors     []string `json:"errors"`
}

// AuditEntry records who changed what: rule activations, key changes,
// imports.
type AuditEntry struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Detail  json.RawMessage `json:"detail,omitempty"`
}

// Roles, in increasing power.
const (
	RoleViewer   = "viewer"
	RoleScorer   = "scorer"
	RoleReviewer = "reviewer" // the bureau's: returns and approves submissions
	RoleAdmin    = "admin"
)

// RoleRank orders roles; an unknown role ranks below viewer.
func RoleRank(role string) int {
	switch role {
	case RoleViewer:
		return 1
	case RoleScorer:
		return 2
	case RoleReviewer:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// BureauRole reports the roles an account scoped to a department may not
// have: reviewing, rules, users and keys are the bureau's.
func BureauRole(role string) bool { return RoleRank(role) >= RoleRank(RoleReviewer) }

// APIKey is a stored key; only the SHA-256 of the secret is kept.
type APIKey struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	// Department scopes the key as a user's (User.Department).
	Department string     `json:"department_code,omitempty"`
	Prefix     string     `json:"prefix"` // first characters, to recognise a key
	Hash       string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Scenario is a saved what-if simulation.
type Scenario struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	CreatedBy string          `json:"created_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	Request   json.RawMessage `json:"request"`
	Summary   json.RawMessage `json:"summary"`
}

// Store is everything the service keeps. The storage package implements
// it over GORM (SQLite or PostgreSQL).
type Store interface {
	UpsertProjects(ctx context.Context, projects []Project) (Upserted, error)
	FindProjects(ctx context.Context, f ProjectFilter) ([]StoredProject, int, error)
	FindProject(ctx context.Context, year int, id string) (*StoredProject, error)
	// FindInput returns a project input by its hash. Inputs are kept by
	// content, so a score can be verified after its project was updated.
	FindInput(ctx context.Context, hash string) (*Project, error)
	// MaxProjectKey is the newest project's key, 0 when there is none. A
	// run records it so that projects stored later do not join the run.
	MaxProjectKey(ctx context.Context) (int64, error)

	SaveRuleSetVersion(ctx context.Context, v RuleSetVersion) error
	MarkRuleSetActivated(ctx context.Context, id, hash string, at time.Time) error
	FindRuleSetVersions(ctx context.Context, id string) ([]RuleSetVersion, error)
	FindRuleSetVersion(ctx context.Context, hash string) (*RuleSetVersion, error)
	// ActiveRuleSets returns the version of each rule set activated last,
	// on any instance of the database.
	ActiveRuleSets(ctx context.Context) ([]RuleSetVersion, error)

	CreateRun(ctx context.Context, r *Run) error
	FindRun(ctx context.Context, id int64) (*Run, error)
	FindRuns(ctx context.Context, kind string, offset, limit int) ([]Run, int, error)
	// SaveChunk stores one chunk of a run in one transaction: its scores,
	// its rejections, the run's links to the scores and its new counts. A
	// score already stored for the same project, input hash, rule-set hash
	// and engine version is not stored again; the run links to it. Saving
	// a chunk twice (a resumed run) adds nothing.
	SaveChunk(ctx context.Context, runID int64, scores []ScoreRecord, rejected []RunRejection) (added int, err error)
	FinishRun(ctx context.Context, id int64, status, errMsg string, at time.Time) error
	// ReopenRun sets an interrupted or failed run running again.
	ReopenRun(ctx context.Context, id int64) error
	InterruptRunningRuns(ctx context.Context, at time.Time) (int, error)
	// DoneKeys returns the project keys a run has already scored or
	// rejected, for resuming it.
	DoneKeys(ctx context.Context, runID int64) (map[int64]bool, error)

	// The chunks of an official run, claimed under a lease by whichever
	// process has capacity: with several processes on one database, a
	// chunk of a process that died is claimed by another when its lease
	// ends. PlanChunks records them once; SaveClaimedChunk stores a
	// chunk's scores and marks it done in one transaction.
	PlanChunks(ctx context.Context, runID int64, f ProjectFilter, size int) (int, error)
	ClaimChunk(ctx context.Context, runID int64, owner string, now, until time.Time) (*RunChunk, error)
	SaveClaimedChunk(ctx context.Context, c *RunChunk, scores []ScoreRecord, rejected []RunRejection) (added int, err error)
	RenewChunks(ctx context.Context, runID int64, owner string, until time.Time) error
	ReleaseChunks(ctx context.Context, runID int64, owner string) error
	ChunksLeft(ctx context.Context, runID int64) (int, error)
	ClaimableRuns(ctx context.Context, now time.Time) ([]int64, error)

	FindScores(ctx context.Context, f ScoreFilter) ([]ScoreRecord, int, error)
	FindScore(ctx context.Context, id int64) (*ScoreRecord, error)
	LatestScore(ctx context.Context, projectKey int64) (*ScoreRecord, error)
	FindRunRejections(ctx context.Context, runID int64) ([]RunRejection, error)

	AddAudit(ctx context.Context, e AuditEntry) error
	FindAudit(ctx context.Context, offset, limit int) ([]AuditEntry, int, error)

	CreateAPIKey(ctx context.Context, k *APIKey) error
	FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	FindAPIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey revokes a key; revoked is false when it already was,
	// and then nothing changes.
	RevokeAPIKey(ctx context.Context, id int64, at time.Time) (revoked bool, err error)
	CountAPIKeys(ctx context.Context) (int, error)

	// People and their sessions. Changing a user's password, or
	// disabling them, ends their sessions in the same transaction.
	CreateUser(ctx context.Context, u *User) error
	FindUser(ctx context.Context, id int64) (*User, error)
	FindUserByName(ctx context.Context, name string) (*User, error)
	FindUsers(ctx context.Context) ([]User, error)
	UpdateUser(ctx context.Context, u *User) error
	CountUsers(ctx context.Context) (int, error)
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session with this token hash and its user,
	// or ENOTFOUND.
	FindSession(ctx context.Context, tokenHash string) (*Session, *User, error)
	TouchSession(ctx context.Context, tokenHash string, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash string) error
	// FailedLogin counts a failed login under name and returns the new
	// state; lockFor says how long a name with so many failures is locked.
	FailedLogin(ctx context.Context, name string, at time.Time, lockFor func(failures int) time.Duration) (LoginThrottle, error)
	FindLoginThrottle(ctx context.Context, name string) (LoginThrottle, error)
	ClearLoginThrottle(ctx context.Context, name string) error

	// Departments. UpsertProjects matches each project's department by
	// name, creating the ones it does not know.
	FindDepartments(ctx context.Context) ([]Department, error)
	FindDepartment(ctx context.Context, code string) (*Department, error)
	// DepartmentScope is the scope of an account of department code: it
	// and its subordinate units, at any depth.
	DepartmentScope(ctx context.Context, code string) (Scope, error)
	CreateDepartment(ctx context.Context, d *Department) error
	UpdateDepartment(ctx context.Context, d *Department) error
	// MergeDepartment moves the projects and subordinate units of from
	// to into; from's name leads to into from then on.
	MergeDepartment(ctx context.Context, from, into string) (moved int, err error)

	// The review of a project's self-evaluation. Review records r (an
	// action on the version r.InputHash names, "" for the current one)
	// if the project's status allows it, and returns the new state:
	// draft or returned → submitted → approved or returned. An approval
	// or return must name the version submitted, which is the current
	// one, and an approval may not be by the one who submitted it. An
	// approval with deductions stores the submitted version with them as
	// the current one, and approves that.
	Review(ctx context.Context, year int, id string, r Review) (ReviewState, error)
	FindReviews(ctx context.Context, year int, id string) (ReviewState, error)
	// FindProjectVersion returns a version of a project its review
	// history names, or its current one.
	FindProjectVersion(ctx context.Context, year int, id, hash string) (*Project, error)

	SaveScenario(ctx context.Context, s *Scenario) error
	FindScenario(ctx context.Context, id int64) (*Scenario, error)
	FindScenarios(ctx context.Context, offset, limit int) ([]Scenario, int, error)

	Ping(ctx context.Context) error
	Close() error
}
