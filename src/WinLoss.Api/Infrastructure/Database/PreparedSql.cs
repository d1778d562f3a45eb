using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>
/// The write path's statements, for either engine. On SQLite, <see cref="Exec"/>, <see cref="Insert"/> and
/// <see cref="Scalar{T}"/> keep each SQL text compiled once per connection and run it through SQLite's own API (bind,
/// step, reset), skipping the per-call parameter lookup, data reader and statement iterator of a Microsoft.Data.Sqlite
/// command (figures: docs/performance.md, "Where the time goes"); the compiled statements hang off the connection, so
/// a writer job needs nothing but its (connection, transaction) pair. On PostgreSQL they are plain Dapper calls (Npgsql
/// prepares repeated statements on the server itself). Parameters come from an anonymous object's properties (names
/// as in the SQL, without '@'), like Dapper. Errors surface as the engine's exception. Use inside Writer jobs; reads
/// use Dapper.
/// </summary>
public static class PreparedSql
{
    private static readonly ConditionalWeakTable<SqliteConnection, Statements> Cache = new();
    private static readonly ConcurrentDictionary<Type, (string Name, Func<object, object?> Get)[]> Accessors = new();

    /// <summary>The compiled statements of one SQL text (one per ';'-separated statement) and their parameter bindings.</summary>
    private sealed class Entry(sqlite3_stmt[] statements)
    {
        public sqlite3_stmt[] Statements { get; } = statements;
        public Type? ParameterType { get; set; }
        /// <summary>Per statement: (1-based parameter index, property getter).</summary>
        public (int Index, Func<object, object?> Get)[][] Bindings { get; set; } = [];
    }

    /// <summary>Runs every statement of <paramref name="sql"/>; returns the rows changed by the last one.</summary>
    public static int Exec(this DbConnection connection, DbTransaction t, string sql, object? param = null)
    {
        if (connection is not SqliteConnection c) return connection.Execute(sql, param, t);
        var db = c.Handle!;
        var entry = Get(c, t, sql, param);
        foreach (var stmt in entry.Statements)
        {
            try
            {
                int rc;
                while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW) { }
                if (rc != raw.SQLITE_DONE) throw Error(db, rc);
            }
            finally
            {
                raw.sqlite3_reset(stmt);
            }
        }
        return raw.sqlite3_changes(db);
    }

    /// <summary>
    /// Runs an INSERT into a table with an id column and returns the new row's id (on SQLite its rowid: an INSERT …
    /// RETURNING id costs ~50% more there, as SQLite buffers the returned rows in a temporary table).
    /// </summary>
    public static long Insert(this DbConnection connection, DbTransaction t, string sql, object? param = null)
    {
        if (connection is not SqliteConnection c) return connection.ExecuteScalar<long>(sql + " RETURNING id", param, t);
        c.Exec(t, sql, param);
        return raw.sqlite3_last_insert_rowid(c.Handle!);
    }

    /// <summary>The first column of the first row of the (single-statement) <paramref name="sql"/>, or default.</summary>
    public static T? Scalar<T>(this DbConnection connection, DbTransaction t, string sql, object? param = null)
    {
        if (connection is not SqliteConnection c) return connection.ExecuteScalar<T>(sql, param, t);
        var db = c.Handle!;
        var stmt = Get(c, t, sql, param).Statements.Single();
        object? value;
        try
        {
            var rc = raw.sqlite3_step(stmt);
            if (rc == raw.SQLITE_ROW) value = Column(stmt);
            else if (rc == raw.SQLITE_DONE) value = null;
            else throw Error(db, rc);
            // Finish the statement (an INSERT … RETURNING completes its write only when stepped to the end).
            while (rc == raw.SQLITE_ROW) rc = raw.sqlite3_step(stmt);
            if (rc != raw.SQLITE_DONE) throw Error(db, rc);
        }
        finally
        {
            raw.sqlite3_reset(stmt);
        }
        if (value is null) return default;
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)(target.IsInstanceOfType(value) ? value : Convert.ChangeType(value, target, CultureInfo.InvariantCulture));
    }

    /// <summary>The statements of one connection: by SQL text, and by the identity of interned (literal) SQL strings.</summary>
    private sealed class Statements
    {
        public Dictionary<string, Entry> ByText { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Entry> ByLiteral { get; } = new(ReferenceEqualityComparer.Instance);
    }

    private static Entry Get(SqliteConnection c, DbTransaction t, string sql, object? param)
    {
        if (t.Connection != c) throw new InvalidOperationException("The transaction belongs to another connection.");
        var statements = Cache.GetOrCreateValue(c);
        // SQL texts are string literals: looked up by reference they cost no hashing of a few hundred characters per run.
        if (!statements.ByLiteral.TryGetValue(sql, out var entry))
        {
            if (!statements.ByText.TryGetValue(sql, out entry))
                statements.ByText[sql] = entry = new Entry(Prepare(c.Handle!, sql));
            if (ReferenceEquals(string.IsInterned(sql), sql)) statements.ByLiteral[sql] = entry;
        }
        if (param is null) return entry;
        var type = param.GetType();
        if (entry.ParameterType != type)
        {
            // First use with this parameter type: find each property's index in each statement once, then bind by index.
            var accessors = Accessors.GetOrAdd(type, Build);
            entry.Bindings = entry.Statements.Select(stmt =>
            {
                var bindings = accessors
                    .Select(a => (Index: raw.sqlite3_bind_parameter_index(stmt, "@" + a.Name), a.Get))
                    .Where(b => b.Index > 0)
                    .ToArray();
                // An unbound parameter would silently be NULL: insist on a value for each (as Microsoft.Data.Sqlite does).
                if (bindings.Length != raw.sqlite3_bind_parameter_count(stmt))
                    throw new InvalidOperationException($"Not every parameter of '{sql}' has a property in {type.Name}.");
                return bindings;
            }).ToArray();
            entry.ParameterType = type;
        }
        for (var s = 0; s < entry.Statements.Length; s++)
        {
            var stmt = entry.Statements[s];
            foreach (var (index, get) in entry.Bindings[s]) Bind(c.Handle!, stmt, index, get(param));
        }
        return entry;
    }

    private static sqlite3_stmt[] Prepare(sqlite3 db, string sql)
    {
        var statements = new List<sqlite3_stmt>();
        var rest = sql;
        while (!string.IsNullOrWhiteSpace(rest))
        {
            var rc = raw.sqlite3_prepare_v2(db, rest, out var stmt, out var tail);
            if (rc != raw.SQLITE_OK) throw Error(db, rc);
            if (stmt is null || stmt.IsInvalid) break; // only whitespace or comments were left
            statements.Add(stmt);
            rest = tail;
        }
        return [.. statements];
    }

    /// <summary>Binds as Microsoft.Data.Sqlite does for the types used here: integers and booleans as INTEGER, text, blobs, reals, decimals as TEXT.</summary>
    private static void Bind(sqlite3 db, sqlite3_stmt stmt, int index, object? value)
    {
        var rc = value switch
        {
            null or DBNull => raw.sqlite3_bind_null(stmt, index),
            string s => raw.sqlite3_bind_text(stmt, index, s),
            Utf8Text u => raw.sqlite3_bind_text(stmt, index, u.Bytes.Span),
            long l => raw.sqlite3_bind_int64(stmt, index, l),
            int i => raw.sqlite3_bind_int64(stmt, index, i),
            bool b => raw.sqlite3_bind_int64(stmt, index, b ? 1 : 0),
            short s => raw.sqlite3_bind_int64(stmt, index, s),
            byte b => raw.sqlite3_bind_int64(stmt, index, b),
            byte[] bytes => raw.sqlite3_bind_blob(stmt, index, bytes),
            double d => raw.sqlite3_bind_double(stmt, index, d),
            decimal m => raw.sqlite3_bind_text(stmt, index, m.ToString("0.0###########################", CultureInfo.InvariantCulture)),
            char ch => raw.sqlite3_bind_text(stmt, index, ch.ToString()),
            _ => throw new NotSupportedException($"PreparedSql cannot bind a {value.GetType().Name}; use long, string, Utf8Text, bool, double, decimal or byte[]."),
        };
        if (rc != raw.SQLITE_OK) throw Error(db, rc);
    }

    private static object? Column(sqlite3_stmt stmt) => raw.sqlite3_column_type(stmt, 0) switch
    {
        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(stmt, 0),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(stmt, 0),
        raw.SQLITE_TEXT => raw.sqlite3_column_text(stmt, 0).utf8_to_string(),
        raw.SQLITE_BLOB => raw.sqlite3_column_blob(stmt, 0).ToArray(),
        _ => null,
    };

    /// <summary>The error as Microsoft.Data.Sqlite reports it (same codes and message), read before the statement is reset.</summary>
    private static SqliteException Error(sqlite3 db, int rc) =>
        new($"SQLite Error {rc}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(db));

    /// <summary>Compiled property getters (reflection's PropertyInfo.GetValue costs ~10× more per call).</summary>
    private static (string, Func<object, object?>)[] Build(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p =>
            {
                var instance = Expression.Parameter(typeof(object));
                var body = Expression.Convert(Expression.Property(Expression.Convert(instance, type), p), typeof(object));
                return (p.Name, Expression.Lambda<Func<object, object?>>(body, instance).Compile());
            })
            .ToArray();
}

/// <summary>Text already encoded as UTF-8 (JSON from SerializeToUtf8Bytes, say): PreparedSql binds it as TEXT without transcoding.</summary>
public sealed record Utf8Text(ReadOnlyMemory<byte> Bytes);
