package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"jixiao"
)

// RecordActivation returns the registry's OnActivate hook as the service
// wires it: every version that becomes active is stored, marked active,
// audited and shown in the metrics, so that any score can be reproduced
// from its rule-set hash. Failures are logged: the activation itself has
// already been decided.
func RecordActivation(store jixiao.Store, metrics *Metrics, logger *slog.Logger) func(jixiao.RuleSetVersion) {
	return func(v jixiao.RuleSetVersion) {
		ctx := context.Background()
		if v.LoadedBy == "" {
			v.LoadedBy = "system"
		}
		if err := store.SaveRuleSetVersion(ctx, v); err != nil {
			logger.Error("storing rule-set version", "ruleset", v.RuleSetID, "hash", v.Hash, "error", err)
		}
		at := time.Now().UTC()
		if v.ActivatedAt != nil {
			at = *v.ActivatedAt
		}
		if err := store.MarkRuleSetActivated(ctx, v.RuleSetID, v.Hash, at); err != nil {
			logger.Error("marking rule-set version active", "ruleset", v.RuleSetID, "error", err)
		}
		detail, _ := json.Marshal(map[string]string{"version": v.Version, "hash": v.Hash, "source": v.Source, "path": v.Path})
		if err := store.AddAudit(ctx, jixiao.AuditEntry{At: at, Actor: v.LoadedBy, Action: "ruleset.activate", Subject: v.RuleSetID, Detail: detail}); err != nil {
			logger.Error("auditing rule-set activation", "ruleset", v.RuleSetID, "error", err)
		}
		if metrics != nil {
			metrics.Activated(v.RuleSetID, v.Version, v.Hash)
		}
	}
}
