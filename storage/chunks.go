package storage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"jixiao"
)

// runChunkRow is a chunk of a run, as stored.
type runChunkRow struct {
	RunID      int64      `gorm:"column:run_id;primaryKey"`
	Seq        int        `gorm:"column:seq;primaryKey"`
	AfterKey   int64      `gorm:"column:after_key"`
	LastKey    int64      `gorm:"column:last_key"`
	Done       bool       `gorm:"column:done"`
	Owner      string     `gorm:"column:owner"`
	LeaseUntil *time.Time `gorm:"column:lease_until"`
}

func (runChunkRow) TableName() string { return "run_chunks" }

// PlanChunks divides the projects f selects into chunks of at most size
// consecutive keys and records them for run runID, unless the run has
// chunks already (then it changes nothing). It returns how many chunks
// the run has.
func (d *DB) PlanChunks(ctx context.Context, runID int64, f jixiao.ProjectFilter, size int) (int, error) {
	if size <= 0 {
		return 0, jixiao.Errorf(jixiao.EINVALID, "chunk size %d", size)
	}
	var n int64
	if err := d.r.WithContext(ctx).Model(&runChunkRow{}).Where("run_id = ?", runID).Count(&n).Error; err != nil || n > 0 {
		return int(n), err
	}
	// The boundaries, read before taking the writer: the size-th key
	// after each boundary, and the last key for the last chunk.
	var chunks []runChunkRow
	err := d.read(ctx, func(tx *gorm.DB) error {
		after := int64(-1)
		for {
			where, args := projectWhere(f, after)
			var last sql.NullInt64
			err := tx.Raw("SELECT p.id FROM projects AS p WHERE "+where+" ORDER BY p.id LIMIT 1 OFFSET ?", append(args, size-1)...).Scan(&last).Error
			if err != nil {
				return err
			}
			if !last.Valid {
				err := tx.Raw("SELECT MAX(p.id) FROM projects AS p WHERE "+where, args...).Scan(&last).Error
				if err != nil || !last.Valid {
					return err
				}
			}
			chunks = append(chunks, runChunkRow{RunID: runID, Seq: len(chunks), AfterKey: after, LastKey: last.Int64})
			after = last.Int64
		}
	})
	if err != nil {
		return 0, err
	}
	err = d.write(ctx, func(tx *gorm.DB) error {
		if err := runExists(tx, runID); err != nil {
			return err
		}
		if err := tx.Model(&runChunkRow{}).Where("run_id = ?", runID).Count(&n).Error; err != nil || n > 0 {
			return err // planned meanwhile by another process
		}
		n = int64(len(chunks))
		_, err := insertIgnore(tx, chunks, 500)
		return err
	})
	return int(n), err
}

// ClaimChunk leases to owner, until until, a chunk of run runID that is
// neither done nor leased (a lease that ended before now counts as none),
// the first by key. It returns nil when there is none. On PostgreSQL
// concurrent claims skip each other's chunks (FOR UPDATE SKIP LOCKED).
func (d *DB) ClaimChunk(ctx context.Context, runID int64, owner string, now, until time.Time) (*jixiao.RunChunk, error) {
	lock := ""
	if d.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var row runChunkRow
	err := d.write(ctx, func(tx *gorm.DB) error {
		res := tx.Raw(`SELECT run_id, seq, after_key, last_key FROM run_chunks
			WHERE run_id = ? AND NOT done AND (lease_until IS NULL OR lease_until < ?)
			ORDER BY seq LIMIT 1`+lock, runID, dbTime(now)).Scan(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return tx.Model(&runChunkRow{}).Where("run_id = ? AND seq = ?", runID, row.Seq).
			Updates(map[string]any{"owner": owner, "lease_until": dbTime(until)}).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &jixiao.RunChunk{RunID: row.RunID, Seq: row.Seq, AfterKey: row.AfterKey, LastKey: row.LastKey}, nil
}

// RenewChunks extends owner's leases of the chunks of run runID it has
// not finished.
func (d *DB) RenewChunks(ctx context.Context, runID int64, owner string, until time.Time) error {
	return d.w.WithContext(ctx).Model(&runChunkRow{}).Where("run_id = ? AND owner = ? AND NOT done", runID, owner).
		Update("lease_until", dbTime(until)).Error
}

// ReleaseChunks ends owner's leases of the chunks of run runID it has not
// finished, so that another process may claim them at once.
func (d *DB) ReleaseChunks(ctx context.Context, runID int64, owner string) error {
	return d.w.WithContext(ctx).Model(&runChunkRow{}).Where("run_id = ? AND owner = ? AND NOT done", runID, owner).
		Updates(map[string]any{"owner": "", "lease_until": nil}).Error
}

// ChunksLeft counts the chunks of run runID not done yet.
func (d *DB) ChunksLeft(ctx context.Context, runID int64) (int, error) {
	var n int64
	err := d.r.WithContext(ctx).Model(&runChunkRow{}).Where("run_id = ? AND NOT done", runID).Count(&n).Error
	return int(n), err
}

// ClaimableRuns returns the running official runs with a chunk that is
// neither done nor leased at now, oldest first.
func (d *DB) ClaimableRuns(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := d.r.WithContext(ctx).Raw(`SELECT r.id FROM runs r WHERE r.status = ? AND r.kind = ? AND EXISTS (
		SELECT 1 FROM run_chunks c WHERE c.run_id = r.id AND NOT c.done AND (c.lease_until IS NULL OR c.lease_until < ?))
		ORDER BY r.id`, jixiao.RunRunning, jixiao.RunOfficial, dbTime(now)).Scan(&ids).Error
	return ids, err
}
