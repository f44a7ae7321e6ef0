package storage

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"jixiao"
)

// CreateAPIKey stores a key and sets its id. Only the hash of its secret
// is stored; a second key with the same hash is a conflict.
func (d *DB) CreateAPIKey(ctx context.Context, k *jixiao.APIKey) error {
	if k.Hash == "" {
		return jixiao.Errorf(jixiao.EINVALID, "an API key needs the hash of its secret")
	}
	if jixiao.RoleRank(k.Role) == 0 {
		return jixiao.Errorf(jixiao.EINVALID, "unknown role %q", k.Role)
	}
	if strings.HasPrefix(k.Name, jixiao.UserActorPrefix) {
		// The audit log names people so.
		return jixiao.Errorf(jixiao.EINVALID, "an API key's name may not start with %q", jixiao.UserActorPrefix)
	}
	k.CreatedAt = d.orNow(k.CreatedAt)
	k.RevokedAt = dbTimePtr(k.RevokedAt)
	row := apiKeyRow{Hash: k.Hash, Prefix: k.Prefix, Name: k.Name, Role: k.Role, DepartmentCode: optional(k.Department), CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
	err := d.write(ctx, func(tx *gorm.DB) error {
		if err := checkAccountDepartment(tx, k.Department, k.Role); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return jixiao.Errorf(jixiao.ECONFLICT, "an API key with this secret exists")
		}
		return err
	}
	k.ID = row.ID
	return nil
}

// FindAPIKeyByHash returns the key whose secret has the given hash,
// revoked or not: the caller tells the two apart by RevokedAt.
func (d *DB) FindAPIKeyByHash(ctx context.Context, hash string) (*jixiao.APIKey, error) {
	var row apiKeyRow
	if err := d.r.WithContext(ctx).Where("key_hash = ?", hash).Take(&row).Error; err != nil {
		return nil, notFound(err, "no such API key")
	}
	k := row.key()
	return &k, nil
}

// FindAPIKeys returns every key, revoked ones included, oldest first.
func (d *DB) FindAPIKeys(ctx context.Context) ([]jixiao.APIKey, error) {
	var rows []apiKeyRow
	if err := d.r.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]jixiao.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].key()
	}
	return out, nil
}

// RevokeAPIKey revokes a key. Revoking it again keeps the first time.
func (d *DB) RevokeAPIKey(ctx context.Context, id int64, at time.Time) (revoked bool, err error) {
	err = d.write(ctx, func(tx *gorm.DB) error {
		var row apiKeyRow
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return notFound(err, "no API key %d", id)
		}
		if row.RevokedAt != nil {
			return nil
		}
		revoked = true
		return tx.Model(&apiKeyRow{}).Where("id = ?", id).Update("revoked_at", dbTime(at)).Error
	})
	return revoked && err == nil, err
}

// CountAPIKeys counts stored keys, revoked ones included, so that "no key
// yet" means a fresh database and not one whose keys were all revoked.
func (d *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int64
	err := d.r.WithContext(ctx).Model(&apiKeyRow{}).Count(&n).Error
	return int(n), err
}
