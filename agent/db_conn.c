// SPDX-License-Identifier: MIT
/*
 * The connection to DATA_DIR/chokepoint.db: open or create it (WAL, the
 * schema migrated forward one step at a time with PRAGMA user_version),
 * move an unreadable file aside for the agent, open it again when it is
 * deleted or replaced under a running agent, the other modules' tables,
 * the lock. What is stored and read through it is in db.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db_priv.h"
#include "log.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 5000

/*
 * Migrations: entry i takes the schema from version i to i + 1. Never edit
 * a shipped one; append a new one and bump DB_SCHEMA_VERSION.
 */
static const char *const migrations[DB_SCHEMA_VERSION] = {
    /* 0 -> 1 */
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ms INTEGER NOT NULL,"
    " target TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " component TEXT,"
    " severity INTEGER NOT NULL,"
    " before TEXT,"
    " after TEXT,"
    " message TEXT);"
    "CREATE INDEX events_time ON events(time_ms);"
    "CREATE INDEX events_target_time ON events(target, time_ms);"
    "CREATE INDEX events_kind_time ON events(kind, time_ms);"
    /* attrs: a JSON object, so SQL can reach it with json_extract(). */
    "CREATE TABLE inventory ("
    " target TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " attrs TEXT NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY (target, kind, key)) WITHOUT ROWID;",
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
db_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (!db->h) {
		set_err(err, errlen, "%s: not open", db->path);
		return -EIO;
	}
	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_err(err, errlen, "%s: %s", db->path,
		    msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int
pragma_int(
    struct db *db, const char *sql, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = -EIO;

	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		set_err(err, errlen, "%s: %s", db->path, sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(s);
	return rc;
}

/* Bring the schema to DB_SCHEMA_VERSION, one transaction per step. */
static int
migrate(struct db *db, char *err, size_t errlen)
{
	int64_t v;
	char sql[64];

	if (pragma_int(db, "PRAGMA user_version", &v, err, errlen) < 0)
		return -EIO;
	if (v > DB_SCHEMA_VERSION) {
		set_err(err, errlen,
		    "%s: database schema version %lld is newer than this "
		    "chokepoint understands (%d); refusing to open it (upgrade "
		    "chokepoint or use another data_dir)",
		    db->path, (long long)v, DB_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (v < 0) {
		set_err(err, errlen, "%s: bad schema version %lld", db->path,
		    (long long)v);
		return -EPROTO;
	}
	for (; v < DB_SCHEMA_VERSION; v++) {
		if (db_exec(db, "BEGIN IMMEDIATE", err, errlen) < 0)
			return -EIO;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)v + 1);
		if (db_exec(db, migrations[v], err, errlen) < 0 ||
		    db_exec(db, sql, err, errlen) < 0 ||
		    db_exec(db, "COMMIT", err, errlen) < 0) {
			db_exec(db, "ROLLBACK", NULL, 0);
			return -EIO;
		}
		if (v > 0)
			log_info("db: %s: schema migrated to version %lld",
			    db->path, (long long)v + 1);
	}
	return 0;
}

/* Whether the last error of h says the file is not a readable database. */
static int
unreadable(sqlite3 *h)
{
	int c = h ? sqlite3_extended_errcode(h) & 0xff : 0;

	return c == SQLITE_NOTADB || c == SQLITE_CORRUPT;
}

/*
 * Errors that say the file cannot be opened now but may be later: a full
 * disk, an I/O error, another process holding a lock.
 */
static int
passing(int code)
{
	code &= 0xff;
	return code == SQLITE_FULL || code == SQLITE_IOERR ||
	       code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

/*
 * Whether the database or its -wal or -shm is a file the agent may not
 * read and write (left by a run as root, say): err then names it, its
 * owner and mode. SQLite opens such a database read-only without a word,
 * and every write fails after.
 */
static int
not_ours(const struct db *db, char *err, size_t errlen)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};

	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		char *p = xasprintf("%s%s", db->path, sfx[i]), who[128];
		int denied =
		    faccessat(AT_FDCWD, p, R_OK | W_OK, AT_EACCESS) < 0 &&
		    errno_denied(errno);

		if (denied && path_owner(p, who, sizeof(who)) == strlen(p))
			set_err(err, errlen,
			    "%s: not writable by the agent (%s)", p, who);
		else
			denied = 0; /* a -wal or -shm that is not there */
		free(p);
		if (denied)
			return 1;
	}
	return 0;
}

/*
 * Open db->path into db->h (created if missing): WAL, synchronous NORMAL,
 * the schema migrated. 0, or -1 with a message in err, db->h closed,
 * *damaged set when the file is there but not a database, and *passes when
 * the reason may pass (passing()).
 */
static int
connect_db(struct db *db, char *err, size_t errlen, int *damaged, int *passes)
{
	char mode[16] = "";
	sqlite3_stmt *s = NULL;
	struct stat sb;

	*passes = 0;
	if (sqlite3_open_v2(db->path, &db->h,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	        NULL) != SQLITE_OK) {
		set_err(err, errlen, "%s: %s", db->path,
		    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	if (sqlite3_db_readonly(db->h, "main") == 1 &&
	    !not_ours(db, err, errlen))
		set_err(err, errlen, "%s: opened read-only", db->path);
	if (sqlite3_db_readonly(db->h, "main") == 1) {
		*passes = 1; /* until its owner or mode is fixed */
		goto closed;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->h, 1);
	/* The first statement to read the file: garbage shows up here. */
	if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &s,
	        NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		set_err(err, errlen, "%s: %s", db->path, sqlite3_errmsg(db->h));
		*damaged = unreadable(db->h);
		sqlite3_finalize(s);
		goto fail;
	}
	snprintf(
	    mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (strcmp(mode, "wal") != 0)
		log_warnx(
		    "db: %s: journal mode is %s, not wal", db->path, mode);
	/* In WAL mode NORMAL never corrupts; a power cut may lose the
	 * last transactions, which for events is acceptable. */
	if (db_exec(db, "PRAGMA synchronous = NORMAL", err, errlen) < 0 ||
	    migrate(db, err, errlen) < 0) {
		*damaged = unreadable(db->h);
		goto fail;
	}
	/* Which file this is, for db_check(). */
	if (stat(db->path, &sb) == 0) {
		db->dev = (uint64_t)sb.st_dev;
		db->ino = (uint64_t)sb.st_ino;
	}
	return 0;
fail:
	*passes = db->h && passing(sqlite3_extended_errcode(db->h));
	if (!*damaged && not_ours(db, err, errlen))
		*passes = 1;
closed:
	sqlite3_close_v2(db->h);
	db->h = NULL;
	return -1;
}

/*
 * db_open(); *damaged set when the file is there but not a database. With
 * offline_ok, a reason that may pass (a full disk) leaves the handle
 * without a connection (db->h NULL) for db_check() to open later.
 */
static struct db *
open_db(const char *data_dir, char *err, size_t errlen, int *damaged,
    int offline_ok)
{
	struct db *db;
	int rc, passes;

	if (!data_dir || !*data_dir) {
		set_err(err, errlen, "db: no data directory");
		return NULL;
	}
	if ((rc = mkdir_p(data_dir)) < 0) {
		set_err(err, errlen, "%s: cannot create directory: %s",
		    data_dir, strerror(-rc));
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	db->dir = xstrdup(data_dir);
	db->path = xasprintf("%s/chokepoint.db", data_dir);
	db->wal_path = xasprintf("%s-wal", db->path);
	pthread_mutex_init(&db->mu, NULL);
	if (connect_db(db, err, errlen, damaged, &passes) < 0) {
		if (offline_ok && passes) {
			db->offline_since_ms = db->offline_logged_ms =
			    mono_ms();
			log_warnx("db: %s; running without it: events are kept "
			          "in memory (up to 10,000) and it is tried "
			          "again every 10 s",
			    err && errlen ? err : db->path);
			return db;
		}
		if (!*damaged)
			log_warnx("db: %s", err && errlen ? err : db->path);
		db_close(db);
		return NULL;
	}
	return db;
}

static void
finalize_all(struct db *db)
{
	sqlite3_finalize(db->ev_insert);
	for (size_t i = 0; i < ARRAY_SIZE(db->ev_query); i++)
		sqlite3_finalize(db->ev_query[i]);
	sqlite3_finalize(db->inv_delete);
	sqlite3_finalize(db->inv_insert);
	sqlite3_finalize(db->inv_get);
	db->ev_insert = db->inv_delete = db->inv_insert = db->inv_get = NULL;
	memset(db->ev_query, 0, sizeof(db->ev_query));
}

int
db_add_schema(struct db *db, int (*fn)(struct sqlite3 *h, void *arg), void *arg)
{
	int rc;

	pthread_mutex_lock(&db->mu);
	if (db->nschemas < ARRAY_SIZE(db->schemas)) {
		db->schemas[db->nschemas].fn = fn;
		db->schemas[db->nschemas].arg = arg;
		db->nschemas++;
	}
	rc = db->h ? fn(db->h, arg) : -EIO;
	pthread_mutex_unlock(&db->mu);
	return rc;
}

/*
 * After closing a connection whose file was deleted or replaced: SQLite
 * leaves that file's -wal and -shm at the path (it does not delete them
 * for a file that is no longer the one named), and the next connection
 * would apply that WAL to the new file, which corrupts it. Deleted: they
 * go too. Replaced (a restored copy?): they may be ours or the copy's, so
 * they are kept aside as -wal.stale-TIME.
 */
static void
set_aside_wal(struct db *db)
{
	const char *sfx[] = {"-wal", "-shm"};
	long long now = (long long)(now_ms() / 1000);
	int gone = access(db->path, F_OK) < 0 && errno == ENOENT;

	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		char *f = xasprintf("%s%s", db->path, sfx[i]);
		char *to = xasprintf("%s.stale-%lld", f, now);
		if (gone)
			unlink(f);
		else if (rename(f, to) == 0)
			log_warnx("db: %s: kept aside as %s (it may belong to "
			          "the file that was replaced)",
			    f, to);
		free(f);
		free(to);
	}
}

/* With mu: connect after the file went away (had_file) or could not be
 * opened (offline): 0, or -errno and the reason in err. */
static int
reconnect(struct db *db, int had_file, char *err, size_t errlen)
{
	int damaged = 0, passes, rc;

	finalize_all(db);
	if (db->h)
		sqlite3_close_v2(db->h);
	db->h = NULL;
	/* Only a file we had open leaves a WAL that is not its own. */
	if (had_file)
		set_aside_wal(db);
	if ((rc = mkdir_p(db->dir)) < 0) {
		set_err(err, errlen, "%s", strerror(-rc));
		return rc;
	}
	if (connect_db(db, err, errlen, &damaged, &passes) < 0)
		return -EIO;
	for (size_t i = 0; i < db->nschemas; i++)
		db->schemas[i].fn(db->h, db->schemas[i].arg);
	db->generation++;
	db->gen_base_id = 0;
	{
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db->h, "SELECT max(id) FROM events", -1,
		        &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			db->gen_base_id = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return 0;
}

int
db_check(struct db *db)
{
	char err[512] = "";
	struct stat sb;
	int64_t now = mono_ms(), since;
	size_t kept;
	int rc, had_file;

	pthread_mutex_lock(&db->mu);
	if (db->h && stat(db->path, &sb) == 0 &&
	    (uint64_t)sb.st_dev == db->dev && (uint64_t)sb.st_ino == db->ino) {
		/* Events kept while it took no writes: try again. */
		if (db->qn || db->qin)
			db_queue_flush(db);
		pthread_mutex_unlock(&db->mu);
		return 0;
	}
	had_file = db->h != NULL;
	kept = db->qn;
	if ((rc = reconnect(db, had_file, err, sizeof(err))) < 0) {
		/* Said when it starts, then every 10 minutes. */
		int say = had_file || now - db->offline_logged_ms >= 600000;
		if (had_file)
			db->offline_since_ms = now;
		if (say)
			db->offline_logged_ms = now;
		pthread_mutex_unlock(&db->mu);
		if (say)
			log_warnx("db: %s: %s: %s; events kept in memory (%zu "
			          "now), tried again every 10 s",
			    db->path,
			    had_file ? "gone while running, and cannot be made "
			               "again"
			             : "still cannot be opened",
			    err, kept);
		return rc;
	}
	since = db->offline_since_ms;
	db->offline_since_ms = 0;
	if (db->qn || db->qin)
		db_queue_flush(db);
	pthread_mutex_unlock(&db->mu);
	if (had_file)
		log_warnx(
		    "db: %s was deleted or replaced while running; "
		    "opened it again (events and inventory from now on go "
		    "there)",
		    db->path);
	else
		log_info("db: %s: open after %llds; %zu events kept meanwhile "
		         "written",
		    db->path, (long long)((now - since) / 1000), kept);
	return 1;
}

uint64_t
db_generation(struct db *db, int64_t *base_id)
{
	uint64_t g;

	pthread_mutex_lock(&db->mu);
	g = db->generation;
	if (base_id)
		*base_id = db->gen_base_id;
	pthread_mutex_unlock(&db->mu);
	return g;
}

struct db *
db_open(const char *data_dir, char *err, size_t errlen)
{
	int damaged = 0;
	struct db *db = open_db(data_dir, err, errlen, &damaged, 0);

	if (!db && damaged)
		log_warnx("db: %s", err && errlen ? err : data_dir);
	return db;
}

struct db *
db_open_rw(const char *data_dir, char *err, size_t errlen)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	long long now = (long long)(now_ms() / 1000);
	int damaged = 0;
	struct db *db = open_db(data_dir, err, errlen, &damaged, 1);

	if (db || !damaged)
		return db;
	/* Keep the damaged file (and its WAL) for whoever wants to look. */
	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		char *from = xasprintf("%s/chokepoint.db%s", data_dir, sfx[i]);
		char *to = xasprintf(
		    "%s/chokepoint.db.corrupt-%lld%s", data_dir, now, sfx[i]);
		if (rename(from, to) < 0 && errno != ENOENT) {
			log_warn("db: %s; cannot move it aside", err);
			free(from);
			free(to);
			return NULL;
		}
		free(from);
		free(to);
	}
	log_warnx("db: %s; moved aside to chokepoint.db.corrupt-%lld and "
	          "started a new one (past events and inventory stay in the "
	          "old file)",
	    err, now);
	return open_db(data_dir, err, errlen, &damaged, 1);
}

void
db_close(struct db *db)
{
	if (!db)
		return;
	if (db->h && (db->qn || db->qin))
		db_queue_flush(db);
	db_queue_free(db);
	finalize_all(db);
	if (db->h)
		sqlite3_close_v2(db->h);
	pthread_mutex_destroy(&db->mu);
	free(db->dir);
	free(db->path);
	free(db->wal_path);
	free(db);
}

struct sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

int
db_online(struct db *db)
{
	int on;

	pthread_mutex_lock(&db->mu);
	on = db->h != NULL;
	pthread_mutex_unlock(&db->mu);
	return on;
}

void
db_lock(struct db *db)
{
	pthread_mutex_lock(&db->mu);
}

void
db_unlock(struct db *db)
{
	pthread_mutex_unlock(&db->mu);
}

/* With mu held: the cached statement for sql, prepared on first use. */