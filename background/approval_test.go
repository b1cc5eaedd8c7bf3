package background_test

import (
	"database/sql"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/sqlite"
)

// The store drivers write approvals in the queue's transactions, and the
// queue carries out the invoker's approvals.
var (
	_ background.ApprovalTxWriter[*sql.Tx] = (*sqlite.Store)(nil)
	_ background.ApprovalTxWriter[pgx.Tx]  = (*postgres.Store)(nil)
	_ invoke.ApprovalQueue                 = (*background.Queue)(nil)
)
