// SPDX-License-Identifier: MIT
/*
 * The event and inventory store: DATA_DIR/chokepoint.db, SQLite in WAL mode.
 * Collectors' events and inventory arrive here through the context; the web
 * API and the firmware module read them back. The schema is versioned with
 * PRAGMA user_version and migrated forward one step at a time at open.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 10000
/* Longest string we store from outside; longer ones are cut. */
#define TEXT_MAX 8192
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

/* Events queries, one per combination of filters, so each uses an index. */
static const char *const event_sql[4] = {
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE time_ms >= ?3 AND time_ms <= ?4"
    " ORDER BY time_ms DESC, id DESC LIMIT ?5",
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE kind = ?1 AND time_ms >= ?3 AND"
    " time_ms <= ?4 ORDER BY time_ms DESC, id DESC LIMIT ?5",
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE target = ?2 AND time_ms >= ?3 AND"
    " time_ms <= ?4 ORDER BY time_ms DESC, id DESC LIMIT ?5",
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE kind = ?1 AND target = ?2 AND"
    " time_ms >= ?3 AND time_ms <= ?4 ORDER BY time_ms DESC, id DESC"
    " LIMIT ?5",
};

struct db {
	sqlite3 *h;
	char *path;
	char *wal_path; /* path + "-wal", for db_changed() */
	pthread_mutex_t mu;
	/* Prepared once, on first use; reset after each. */
	sqlite3_stmt *ev_insert;
	sqlite3_stmt *ev_query[4];
	sqlite3_stmt *inv_delete;
	sqlite3_stmt *inv_insert;
	sqlite3_stmt *inv_get;
	uint64_t events_added; /* by this handle; under mu */
	char *dir;
	uint64_t dev, ino; /* the file open now, for db_check() */
	/* Other modules' tables, made again after db_check() reopens. */
	struct {
		int (*fn)(struct sqlite3 *h, void *arg);
		void *arg;
	} schemas[8];
	size_t nschemas;
	uint64_t generation; /* reopens so far; under mu */
	int64_t gen_base_id; /* the newest event id when it reopened */
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

/* Run SQL with no results; fills err on failure. */
static int
exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

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
		if (exec(db, "BEGIN IMMEDIATE", err, errlen) < 0)
			return -EIO;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)v + 1);
		if (exec(db, migrations[v], err, errlen) < 0 ||
		    exec(db, sql, err, errlen) < 0 ||
		    exec(db, "COMMIT", err, errlen) < 0) {
			exec(db, "ROLLBACK", NULL, 0);
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
 * Open db->path into db->h (created if missing): WAL, synchronous NORMAL,
 * the schema migrated. 0, or -1 with a message in err, db->h closed, and
 * *damaged set when the file is there but not a database.
 */
static int
connect_db(struct db *db, char *err, size_t errlen, int *damaged)
{
	char mode[16] = "";
	sqlite3_stmt *s = NULL;
	struct stat sb;

	if (sqlite3_open_v2(db->path, &db->h,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	        NULL) != SQLITE_OK) {
		set_err(err, errlen, "%s: %s", db->path,
		    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
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
	if (exec(db, "PRAGMA synchronous = NORMAL", err, errlen) < 0 ||
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
	sqlite3_close_v2(db->h);
	db->h = NULL;
	return -1;
}

/* db_open(); *damaged set when the file is there but not a database. */
static struct db *
open_db(const char *data_dir, char *err, size_t errlen, int *damaged)
{
	struct db *db;
	int rc;

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
	if (connect_db(db, err, errlen, damaged) < 0) {
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

int
db_check(struct db *db)
{
	char err[512] = "";
	struct stat sb;
	int damaged = 0, rc;

	if (stat(db->path, &sb) == 0 && (uint64_t)sb.st_dev == db->dev &&
	    (uint64_t)sb.st_ino == db->ino && db->h)
		return 0;
	pthread_mutex_lock(&db->mu);
	finalize_all(db);
	if (db->h)
		sqlite3_close_v2(db->h);
	db->h = NULL;
	set_aside_wal(db);
	if ((rc = mkdir_p(db->dir)) < 0 ||
	    connect_db(db, err, sizeof(err), &damaged) < 0) {
		pthread_mutex_unlock(&db->mu);
		log_warnx("db: %s: gone while running, and cannot be made "
		          "again: %s",
		    db->path, rc < 0 ? strerror(-rc) : err);
		return rc < 0 ? rc : -EIO;
	}
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
	pthread_mutex_unlock(&db->mu);
	log_warnx("db: %s was deleted or replaced while running; opened it "
	          "again (events and inventory from now on go there)",
	    db->path);
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
	struct db *db = open_db(data_dir, err, errlen, &damaged);

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
	struct db *db = open_db(data_dir, err, errlen, &damaged);

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
	return open_db(data_dir, err, errlen, &damaged);
}

void
db_close(struct db *db)
{
	if (!db)
		return;
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
static sqlite3_stmt *
stmt(struct db *db, sqlite3_stmt **slot, const char *sql)
{
	if (!*slot && sqlite3_prepare_v3(db->h, sql, -1,
	                  SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
		log_warnx("db: %s: prepare failed: %s", db->path,
		    sqlite3_errmsg(db->h));
		*slot = NULL;
	}
	return *slot;
}

/* Bind outside text (NULL stays NULL), cut at TEXT_MAX on a UTF-8
 * character boundary. */
static int
bind_text(sqlite3_stmt *s, int i, const char *t)
{
	size_t n;

	if (!t)
		return sqlite3_bind_null(s, i);
	n = strlen(t);
	if (n > TEXT_MAX) {
		n = TEXT_MAX;
		while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
			n--;
	}
	return sqlite3_bind_text(s, i, t, (int)n, SQLITE_TRANSIENT);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int64_t
db_event_add(struct db *db, const struct db_event *ev)
{
	sqlite3_stmt *s;
	int64_t id = -EIO;

	if (!db || !ev || !ev->target || !ev->kind ||
	    ev->severity < CP_SEV_INFO || ev->severity > CP_SEV_CRITICAL)
		return -EINVAL;
	pthread_mutex_lock(&db->mu);
	s = stmt(db, &db->ev_insert,
	    "INSERT INTO events (time_ms, target, kind, component, severity,"
	    " before, after, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, ev->time_ms ? ev->time_ms : now_ms());
	bind_text(s, 2, ev->target);
	bind_text(s, 3, ev->kind);
	bind_text(s, 4, ev->component);
	sqlite3_bind_int(s, 5, (int)ev->severity);
	bind_text(s, 6, ev->before);
	bind_text(s, 7, ev->after);
	bind_text(s, 8, ev->message);
	if (sqlite3_step(s) == SQLITE_DONE) {
		id = sqlite3_last_insert_rowid(db->h);
		db->events_added++;
	} else
		log_warnx("db: %s: event insert failed: %s", db->path,
		    sqlite3_errmsg(db->h));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
out:
	pthread_mutex_unlock(&db->mu);
	return id;
}

uint64_t
db_events_added(struct db *db)
{
	uint64_t n;

	pthread_mutex_lock(&db->mu);
	n = db->events_added;
	pthread_mutex_unlock(&db->mu);
	return n;
}

int
db_changed(struct db *db, struct db_stamp *st)
{
	struct db_stamp now = {0};
	const char *f[2] = {db->path, db->wal_path};
	struct stat sb;

	for (int i = 0; i < 2; i++) {
		/* A missing WAL (checkpointed away) stamps as zeros. */
		if (stat(f[i], &sb) < 0)
			continue;
		now.file[i].ino = (uint64_t)sb.st_ino;
		now.file[i].size = (uint64_t)sb.st_size;
		now.file[i].mtime_s = (uint64_t)sb.st_mtim.tv_sec;
		now.file[i].mtime_ns = (uint64_t)sb.st_mtim.tv_nsec;
	}
	if (memcmp(&now, st, sizeof(now)) == 0)
		return 0;
	*st = now;
	return 1;
}

int
db_events_query(struct db *db, const struct db_event_filter *f,
    int (*cb)(const struct db_event *, void *), void *arg)
{
	static const struct db_event_filter none;
	sqlite3_stmt *s;
	size_t limit;
	int which, rc = 0, step;

	if (!db || !cb)
		return -EINVAL;
	if (!f)
		f = &none;
	limit = f->limit ? f->limit : LIMIT_DEFAULT;
	if (limit > LIMIT_MAX)
		limit = LIMIT_MAX;
	which = (f->kind ? 1 : 0) | (f->target ? 2 : 0);
	pthread_mutex_lock(&db->mu);
	s = stmt(db, &db->ev_query[which], event_sql[which]);
	if (!s) {
		rc = -EIO;
		goto out;
	}
	if (f->kind)
		bind_text(s, 1, f->kind);
	if (f->target)
		bind_text(s, 2, f->target);
	sqlite3_bind_int64(s, 3, f->since_ms ? f->since_ms : INT64_MIN);
	sqlite3_bind_int64(s, 4, f->until_ms ? f->until_ms : INT64_MAX);
	sqlite3_bind_int64(s, 5, (int64_t)limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_event ev = {
		    .id = sqlite3_column_int64(s, 0),
		    .time_ms = sqlite3_column_int64(s, 1),
		    .target = col_text(s, 2),
		    .kind = col_text(s, 3),
		    .component = col_text(s, 4),
		    .severity = (enum cp_severity)sqlite3_column_int(s, 5),
		    .before = col_text(s, 6),
		    .after = col_text(s, 7),
		    .message = col_text(s, 8),
		};
		if (cb(&ev, arg) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		log_warnx("db: %s: events query failed: %s", db->path,
		    sqlite3_errmsg(db->h));
		rc = -EIO;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
out:
	pthread_mutex_unlock(&db->mu);
	return rc;
}

/* The attributes as a JSON object (caller frees). */
static char *
attrs_json(const struct cp_inventory_item *it)
{
	json_t *o = json_object();
	char *s;
	size_t i;

	for (i = 0; i < it->nattrs; i++) {
		const struct cp_label *l = &it->attrs[i];
		if (!l->key)
			continue;
		/* json_string rejects invalid UTF-8: keep the bytes' gist. */
		json_t *v = l->value ? json_string(l->value) : json_null();
		if (!v)
			v = json_string("(invalid UTF-8)");
		json_object_set_new(o, l->key, v);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		abort(); /* only out of memory (keys were checked above) */
	return s;
}

int
db_inventory_put(struct db *db, const char *target, const char *kind,
    const struct cp_inventory_item *items, size_t nitems)
{
	sqlite3_stmt *del, *ins;
	int64_t now = now_ms();
	size_t i;
	int rc = -EIO;

	if (!db || !target || !kind || (nitems && !items))
		return -EINVAL;
	for (i = 0; i < nitems; i++)
		if (!items[i].key || (items[i].nattrs && !items[i].attrs))
			return -EINVAL;
	pthread_mutex_lock(&db->mu);
	del = stmt(db, &db->inv_delete,
	    "DELETE FROM inventory WHERE target = ? AND kind = ?");
	/* A key given twice in one set: the last one wins. */
	ins = stmt(db, &db->inv_insert,
	    "INSERT OR REPLACE INTO inventory (target, kind, key, attrs,"
	    " updated_ms) VALUES (?, ?, ?, ?, ?)");
	if (!del || !ins)
		goto out;
	if (exec(db, "BEGIN IMMEDIATE", NULL, 0) < 0) {
		log_warnx("db: %s: begin failed: %s", db->path,
		    sqlite3_errmsg(db->h));
		goto out;
	}
	bind_text(del, 1, target);
	bind_text(del, 2, kind);
	if (sqlite3_step(del) != SQLITE_DONE)
		goto rollback;
	sqlite3_reset(del);
	for (i = 0; i < nitems; i++) {
		char *js = attrs_json(&items[i]);
		int st;
		bind_text(ins, 1, target);
		bind_text(ins, 2, kind);
		bind_text(ins, 3, items[i].key);
		sqlite3_bind_text(ins, 4, js, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 5, now);
		st = sqlite3_step(ins);
		sqlite3_reset(ins);
		free(js);
		if (st != SQLITE_DONE)
			goto rollback;
	}
	if (exec(db, "COMMIT", NULL, 0) == 0) {
		rc = 0;
		goto out;
	}
rollback:
	log_warnx("db: %s: inventory %s/%s not stored: %s", db->path, target,
	    kind, sqlite3_errmsg(db->h));
	sqlite3_reset(del);
	sqlite3_reset(ins);
	exec(db, "ROLLBACK", NULL, 0);
out:
	if (del) {
		sqlite3_reset(del);
		sqlite3_clear_bindings(del);
	}
	if (ins)
		sqlite3_clear_bindings(ins);
	pthread_mutex_unlock(&db->mu);
	return rc;
}

int
db_inventory_get(struct db *db, const char *target, const char *kind,
    int (*cb)(const char *target, const char *kind, const char *key,
        const struct cp_label *attrs, size_t nattrs, void *arg),
    void *arg)
{
	sqlite3_stmt *s;
	struct cp_label *labels = NULL;
	size_t cap = 0;
	int rc = 0, step;

	if (!db || !cb)
		return -EINVAL;
	pthread_mutex_lock(&db->mu);
	s = stmt(db, &db->inv_get,
	    "SELECT target, kind, key, attrs FROM inventory"
	    " WHERE (?1 IS NULL OR target = ?1) AND (?2 IS NULL OR kind = ?2)"
	    " ORDER BY target, kind, key");
	if (!s) {
		rc = -EIO;
		goto out;
	}
	bind_text(s, 1, target);
	bind_text(s, 2, kind);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		json_error_t jerr;
		json_t *o = json_loads(col_text(s, 3), 0, &jerr), *v;
		const char *k;
		size_t n = 0;
		int stop;

		if (!json_is_object(o)) {
			/* Written by someone else, or damaged: skip it. */
			log_warnx("db: %s: inventory %s/%s/%s: bad attrs: %s",
			    db->path, col_text(s, 0), col_text(s, 1),
			    col_text(s, 2), jerr.text);
			json_decref(o);
			continue;
		}
		if (json_object_size(o) > cap) {
			cap = json_object_size(o);
			labels = xrealloc(labels, cap * sizeof(*labels));
		}
		json_object_foreach(o, k, v)
		{
			labels[n].key = k;
			labels[n].value =
			    json_is_string(v) ? json_string_value(v) : NULL;
			n++;
		}
		stop = cb(col_text(s, 0), col_text(s, 1), col_text(s, 2),
		    labels, n, arg);
		json_decref(o);
		if (stop)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		log_warnx("db: %s: inventory query failed: %s", db->path,
		    sqlite3_errmsg(db->h));
		rc = -EIO;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
out:
	pthread_mutex_unlock(&db->mu);
	free(labels);
	return rc;
}
