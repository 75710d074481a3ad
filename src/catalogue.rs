//! The catalogue of calls whose effect on threads the rules need to know: which calls block the
//! calling thread (and on what), which do I/O, and which release the GIL while they work.
//!
//! One table, keyed by qualified name (`time.sleep`) or by receiver type and method
//! (`threading.Thread` + `join`), shared by the lock rules (a blocking call under a lock), the GIL
//! rules (I/O-bound or GIL-releasing work on threads and processes) and the asyncio rules (a
//! blocking call in a coroutine). Adding a library means adding rows here.
//!
//! Besides the rows by name and by receiver, the GIL rules need to know calls nothing blocks on:
//! whole modules by prefix ([`module`]: `numpy` releases the GIL, `requests` waits for the
//! network), calls that do their work holding the GIL ([`holds_gil`]: builtins, `math`, `re`,
//! `json`, logging), and the methods of the builtin types looked up by name alone for receivers
//! of unknown type ([`builtin_method`]: `append`, `join`, `split` hold the GIL).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// What a blocking call waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocking {
    /// `time.sleep`: waits for time to pass.
    Sleep,
    /// Sockets, HTTP clients, DNS: waits for the network.
    Network,
    /// `subprocess.run` and friends: waits for another program.
    Subprocess,
    /// `Thread.join`: waits for a thread to finish.
    ThreadJoin,
    /// `Process.join`: waits for a process to finish.
    ProcessJoin,
    /// `Future.result()`, `AsyncResult.get()`, `concurrent.futures.wait`: waits for a task.
    FutureResult,
    /// `Queue.get()`: waits for an item.
    QueueGet,
    /// `Queue.put()` on a bounded queue: waits for room.
    QueuePut,
    /// `Event.wait()`, `Condition.wait()`, `Barrier.wait()`: waits for another thread.
    Wait,
    /// `Lock.acquire()`: waits for another thread to release.
    LockAcquire,
    /// Reading or writing files.
    File,
}

impl Blocking {
    /// What the call waits for, for messages: "sleeps", "waits for the network".
    pub fn describe(self) -> &'static str {
        match self {
            Blocking::Sleep => "sleeps",
            Blocking::Network => "waits for the network",
            Blocking::Subprocess => "waits for a subprocess",
            Blocking::ThreadJoin => "waits for a thread to finish",
            Blocking::ProcessJoin => "waits for a process to finish",
            Blocking::FutureResult => "waits for a task's result",
            Blocking::QueueGet => "waits for a queue item",
            Blocking::QueuePut => "waits for room in a queue",
            Blocking::Wait => "waits for another thread",
            Blocking::LockAcquire => "waits for a lock",
            Blocking::File => "does file I/O",
        }
    }
}

/// What the catalogue knows of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    /// It blocks the calling thread, waiting for this.
    pub blocks: Option<Blocking>,
    /// It releases the GIL while it works: other threads run Python meanwhile.
    pub releases_gil: bool,
}

const fn blocks(kind: Blocking) -> Effect {
    Effect {
        blocks: Some(kind),
        releases_gil: true,
    }
}

/// Native work that releases the GIL without blocking on anything outside (hashing, compression,
/// array math).
const NATIVE: Effect = Effect {
    blocks: None,
    releases_gil: true,
};

/// Work that holds the GIL and waits on nothing: pure computation, cheap or not.
pub const HOLDS_GIL: Effect = Effect {
    blocks: None,
    releases_gil: false,
};

/// Calls by qualified name.
const FUNCTIONS: &[(&str, Effect)] = &[
    ("time.sleep", blocks(Blocking::Sleep)),
    ("socket.create_connection", blocks(Blocking::Network)),
    ("socket.getaddrinfo", blocks(Blocking::Network)),
    ("socket.gethostbyname", blocks(Blocking::Network)),
    ("socket.gethostbyaddr", blocks(Blocking::Network)),
    ("socket.getfqdn", blocks(Blocking::Network)),
    ("urllib.request.urlopen", blocks(Blocking::Network)),
    ("requests.get", blocks(Blocking::Network)),
    ("requests.post", blocks(Blocking::Network)),
    ("requests.put", blocks(Blocking::Network)),
    ("requests.patch", blocks(Blocking::Network)),
    ("requests.delete", blocks(Blocking::Network)),
    ("requests.head", blocks(Blocking::Network)),
    ("requests.options", blocks(Blocking::Network)),
    ("requests.request", blocks(Blocking::Network)),
    ("httpx.get", blocks(Blocking::Network)),
    ("httpx.post", blocks(Blocking::Network)),
    ("httpx.put", blocks(Blocking::Network)),
    ("httpx.patch", blocks(Blocking::Network)),
    ("httpx.delete", blocks(Blocking::Network)),
    ("httpx.head", blocks(Blocking::Network)),
    ("httpx.request", blocks(Blocking::Network)),
    ("urllib3.request", blocks(Blocking::Network)),
    ("subprocess.run", blocks(Blocking::Subprocess)),
    ("subprocess.call", blocks(Blocking::Subprocess)),
    ("subprocess.check_call", blocks(Blocking::Subprocess)),
    ("subprocess.check_output", blocks(Blocking::Subprocess)),
    ("subprocess.getoutput", blocks(Blocking::Subprocess)),
    ("subprocess.getstatusoutput", blocks(Blocking::Subprocess)),
    ("os.system", blocks(Blocking::Subprocess)),
    ("os.waitpid", blocks(Blocking::Subprocess)),
    ("os.wait", blocks(Blocking::Subprocess)),
    ("concurrent.futures.wait", blocks(Blocking::FutureResult)),
    (
        "concurrent.futures.as_completed",
        blocks(Blocking::FutureResult),
    ),
    ("builtins.input", blocks(Blocking::File)),
    ("builtins.open", blocks(Blocking::File)),
    ("io.open", blocks(Blocking::File)),
    ("os.open", blocks(Blocking::File)),
    ("os.read", blocks(Blocking::File)),
    ("os.write", blocks(Blocking::File)),
    ("os.listdir", blocks(Blocking::File)),
    ("os.scandir", blocks(Blocking::File)),
    ("os.walk", blocks(Blocking::File)),
    ("os.stat", blocks(Blocking::File)),
    ("os.remove", blocks(Blocking::File)),
    ("os.unlink", blocks(Blocking::File)),
    ("os.rename", blocks(Blocking::File)),
    ("os.replace", blocks(Blocking::File)),
    ("os.makedirs", blocks(Blocking::File)),
    ("os.mkdir", blocks(Blocking::File)),
    ("os.fsync", blocks(Blocking::File)),
    ("os.path.exists", blocks(Blocking::File)),
    ("os.path.isfile", blocks(Blocking::File)),
    ("os.path.isdir", blocks(Blocking::File)),
    ("os.path.getsize", blocks(Blocking::File)),
    ("os.path.getmtime", blocks(Blocking::File)),
    ("shutil.copy", blocks(Blocking::File)),
    ("shutil.copy2", blocks(Blocking::File)),
    ("shutil.copyfile", blocks(Blocking::File)),
    ("shutil.copyfileobj", blocks(Blocking::File)),
    ("shutil.copytree", blocks(Blocking::File)),
    ("shutil.move", blocks(Blocking::File)),
    ("shutil.rmtree", blocks(Blocking::File)),
    ("select.select", blocks(Blocking::Network)),
    ("subprocess.Popen", blocks(Blocking::Subprocess)),
    ("os.popen", blocks(Blocking::Subprocess)),
    ("multiprocessing.connection.wait", blocks(Blocking::Wait)),
    ("hashlib.sha1", NATIVE),
    ("hashlib.sha256", NATIVE),
    ("hashlib.sha512", NATIVE),
    ("hashlib.md5", NATIVE),
    ("hashlib.blake2b", NATIVE),
    ("hashlib.pbkdf2_hmac", NATIVE),
    ("zlib.compress", NATIVE),
    ("zlib.decompress", NATIVE),
    ("bz2.compress", NATIVE),
    ("bz2.decompress", NATIVE),
    ("lzma.compress", NATIVE),
    ("lzma.decompress", NATIVE),
    ("gzip.compress", NATIVE),
    ("gzip.decompress", NATIVE),
    ("hashlib.sha224", NATIVE),
    ("hashlib.sha384", NATIVE),
    ("hashlib.sha3_256", NATIVE),
    ("hashlib.sha3_512", NATIVE),
    ("hashlib.blake2s", NATIVE),
    ("hashlib.new", NATIVE),
    ("hashlib.scrypt", NATIVE),
    ("hashlib.file_digest", blocks(Blocking::File)),
    ("zlib.crc32", NATIVE),
    ("zlib.adler32", NATIVE),
    ("binascii.crc32", NATIVE),
];

/// Methods by receiver type (canonical qualified name) and method name.
const METHODS: &[(&str, &str, Effect)] = &[
    ("threading.Thread", "join", blocks(Blocking::ThreadJoin)),
    ("threading.Timer", "join", blocks(Blocking::ThreadJoin)),
    (
        "multiprocessing.Process",
        "join",
        blocks(Blocking::ProcessJoin),
    ),
    (
        "concurrent.futures.Future",
        "result",
        blocks(Blocking::FutureResult),
    ),
    (
        "concurrent.futures.Future",
        "exception",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.pool.AsyncResult",
        "get",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.pool.AsyncResult",
        "wait",
        blocks(Blocking::FutureResult),
    ),
    ("queue.Queue", "get", blocks(Blocking::QueueGet)),
    ("queue.Queue", "put", blocks(Blocking::QueuePut)),
    ("queue.Queue", "join", blocks(Blocking::Wait)),
    ("queue.LifoQueue", "get", blocks(Blocking::QueueGet)),
    ("queue.LifoQueue", "put", blocks(Blocking::QueuePut)),
    ("queue.PriorityQueue", "get", blocks(Blocking::QueueGet)),
    ("queue.PriorityQueue", "put", blocks(Blocking::QueuePut)),
    ("queue.SimpleQueue", "get", blocks(Blocking::QueueGet)),
    ("multiprocessing.Queue", "get", blocks(Blocking::QueueGet)),
    ("multiprocessing.Queue", "put", blocks(Blocking::QueuePut)),
    (
        "multiprocessing.JoinableQueue",
        "join",
        blocks(Blocking::Wait),
    ),
    ("threading.Event", "wait", blocks(Blocking::Wait)),
    ("threading.Condition", "wait", blocks(Blocking::Wait)),
    ("threading.Condition", "wait_for", blocks(Blocking::Wait)),
    ("threading.Barrier", "wait", blocks(Blocking::Wait)),
    (
        "threading.Semaphore",
        "acquire",
        blocks(Blocking::LockAcquire),
    ),
    (
        "threading.BoundedSemaphore",
        "acquire",
        blocks(Blocking::LockAcquire),
    ),
    ("threading.Lock", "acquire", blocks(Blocking::LockAcquire)),
    ("threading.RLock", "acquire", blocks(Blocking::LockAcquire)),
    ("socket.socket", "recv", blocks(Blocking::Network)),
    ("socket.socket", "recv_into", blocks(Blocking::Network)),
    ("socket.socket", "recvfrom", blocks(Blocking::Network)),
    ("socket.socket", "send", blocks(Blocking::Network)),
    ("socket.socket", "sendall", blocks(Blocking::Network)),
    ("socket.socket", "connect", blocks(Blocking::Network)),
    ("socket.socket", "accept", blocks(Blocking::Network)),
    ("requests.Session", "get", blocks(Blocking::Network)),
    ("requests.Session", "post", blocks(Blocking::Network)),
    ("requests.Session", "put", blocks(Blocking::Network)),
    ("requests.Session", "delete", blocks(Blocking::Network)),
    ("requests.Session", "request", blocks(Blocking::Network)),
    ("requests.Session", "head", blocks(Blocking::Network)),
    ("requests.Session", "patch", blocks(Blocking::Network)),
    ("requests.Session", "options", blocks(Blocking::Network)),
    ("requests.Session", "send", blocks(Blocking::Network)),
    ("httpx.Client", "get", blocks(Blocking::Network)),
    ("httpx.Client", "post", blocks(Blocking::Network)),
    ("httpx.Client", "request", blocks(Blocking::Network)),
    ("httpx.Client", "put", blocks(Blocking::Network)),
    ("httpx.Client", "patch", blocks(Blocking::Network)),
    ("httpx.Client", "delete", blocks(Blocking::Network)),
    ("httpx.Client", "head", blocks(Blocking::Network)),
    ("httpx.Client", "send", blocks(Blocking::Network)),
    ("urllib3.PoolManager", "request", blocks(Blocking::Network)),
    ("urllib3.PoolManager", "urlopen", blocks(Blocking::Network)),
    (
        "urllib3.HTTPConnectionPool",
        "urlopen",
        blocks(Blocking::Network),
    ),
    (
        "urllib3.HTTPSConnectionPool",
        "urlopen",
        blocks(Blocking::Network),
    ),
    (
        "http.client.HTTPConnection",
        "request",
        blocks(Blocking::Network),
    ),
    (
        "http.client.HTTPConnection",
        "getresponse",
        blocks(Blocking::Network),
    ),
    (
        "http.client.HTTPSConnection",
        "request",
        blocks(Blocking::Network),
    ),
    (
        "http.client.HTTPSConnection",
        "getresponse",
        blocks(Blocking::Network),
    ),
    ("subprocess.Popen", "wait", blocks(Blocking::Subprocess)),
    (
        "subprocess.Popen",
        "communicate",
        blocks(Blocking::Subprocess),
    ),
    ("socket.socket", "sendto", blocks(Blocking::Network)),
    ("socket.socket", "makefile", blocks(Blocking::Network)),
    ("requests.Session", "patch", blocks(Blocking::Network)),
    ("requests.Session", "head", blocks(Blocking::Network)),
    ("httpx.Client", "put", blocks(Blocking::Network)),
    ("httpx.Client", "delete", blocks(Blocking::Network)),
    ("httpx.Client", "patch", blocks(Blocking::Network)),
    ("httpx.Client", "send", blocks(Blocking::Network)),
    ("urllib3.PoolManager", "request", blocks(Blocking::Network)),
    ("urllib3.PoolManager", "urlopen", blocks(Blocking::Network)),
    ("sqlite3.Connection", "execute", blocks(Blocking::File)),
    ("sqlite3.Connection", "commit", blocks(Blocking::File)),
    ("sqlite3.Cursor", "execute", blocks(Blocking::File)),
    ("pathlib.Path", "read_text", blocks(Blocking::File)),
    ("pathlib.Path", "read_bytes", blocks(Blocking::File)),
    ("pathlib.Path", "write_text", blocks(Blocking::File)),
    ("pathlib.Path", "write_bytes", blocks(Blocking::File)),
    ("pathlib.Path", "open", blocks(Blocking::File)),
    ("pathlib.Path", "exists", blocks(Blocking::File)),
    ("pathlib.Path", "iterdir", blocks(Blocking::File)),
    ("pathlib.Path", "glob", blocks(Blocking::File)),
    ("pathlib.Path", "rglob", blocks(Blocking::File)),
    ("pathlib.Path", "stat", blocks(Blocking::File)),
    ("pathlib.Path", "unlink", blocks(Blocking::File)),
    ("pathlib.Path", "mkdir", blocks(Blocking::File)),
    (
        "concurrent.futures.ThreadPoolExecutor",
        "map",
        blocks(Blocking::FutureResult),
    ),
    (
        "concurrent.futures.ProcessPoolExecutor",
        "map",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.Pool",
        "map",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.Pool",
        "apply",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.Pool",
        "starmap",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.pool.ThreadPool",
        "map",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.pool.ThreadPool",
        "apply",
        blocks(Blocking::FutureResult),
    ),
    (
        "concurrent.futures.ThreadPoolExecutor",
        "shutdown",
        blocks(Blocking::FutureResult),
    ),
    (
        "concurrent.futures.ProcessPoolExecutor",
        "shutdown",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.Pool",
        "join",
        blocks(Blocking::FutureResult),
    ),
    (
        "multiprocessing.pool.ThreadPool",
        "join",
        blocks(Blocking::FutureResult),
    ),
];

/// Whole modules (and packages) by prefix: every function and class of the module does this,
/// unless a row above says otherwise. Array libraries release the GIL in their kernels; network
/// clients and database drivers wait on a server.
const MODULES: &[(&str, Effect)] = &[
    ("numpy", NATIVE),
    ("scipy", NATIVE),
    ("pandas", NATIVE),
    ("numba", NATIVE),
    ("torch", NATIVE),
    ("tensorflow", NATIVE),
    ("jax", NATIVE),
    ("cv2", NATIVE),
    ("PIL", NATIVE),
    ("skimage", NATIVE),
    ("sklearn", NATIVE),
    ("pyarrow", NATIVE),
    ("polars", NATIVE),
    ("cupy", NATIVE),
    ("lxml", NATIVE),
    ("hashlib", NATIVE),
    ("zlib", NATIVE),
    ("bz2", NATIVE),
    ("lzma", NATIVE),
    ("gzip", blocks(Blocking::File)),
    ("zipfile", blocks(Blocking::File)),
    ("tarfile", blocks(Blocking::File)),
    ("shutil", blocks(Blocking::File)),
    ("tempfile", blocks(Blocking::File)),
    ("glob", blocks(Blocking::File)),
    ("pathlib", blocks(Blocking::File)),
    ("csv", blocks(Blocking::File)),
    ("pickle.load", blocks(Blocking::File)),
    ("pickle.dump", blocks(Blocking::File)),
    ("socket", blocks(Blocking::Network)),
    ("ssl", blocks(Blocking::Network)),
    ("http.client", blocks(Blocking::Network)),
    ("urllib.request", blocks(Blocking::Network)),
    ("ftplib", blocks(Blocking::Network)),
    ("smtplib", blocks(Blocking::Network)),
    ("imaplib", blocks(Blocking::Network)),
    ("poplib", blocks(Blocking::Network)),
    ("xmlrpc.client", blocks(Blocking::Network)),
    ("requests", blocks(Blocking::Network)),
    ("httpx", blocks(Blocking::Network)),
    ("urllib3", blocks(Blocking::Network)),
    ("aiohttp", blocks(Blocking::Network)),
    ("boto3", blocks(Blocking::Network)),
    ("botocore", blocks(Blocking::Network)),
    ("paramiko", blocks(Blocking::Network)),
    ("redis", blocks(Blocking::Network)),
    ("pymongo", blocks(Blocking::Network)),
    ("psycopg2", blocks(Blocking::Network)),
    ("psycopg", blocks(Blocking::Network)),
    ("pymysql", blocks(Blocking::Network)),
    ("MySQLdb", blocks(Blocking::Network)),
    ("mysql.connector", blocks(Blocking::Network)),
    ("cx_Oracle", blocks(Blocking::Network)),
    ("sqlalchemy", blocks(Blocking::Network)),
    ("sqlite3", blocks(Blocking::File)),
    ("google.cloud", blocks(Blocking::Network)),
    ("kafka", blocks(Blocking::Network)),
    ("pika", blocks(Blocking::Network)),
    ("grpc", blocks(Blocking::Network)),
    ("websocket", blocks(Blocking::Network)),
    ("subprocess", blocks(Blocking::Subprocess)),
];

/// Modules and builtins that do their work holding the GIL and wait on nothing.
const GIL_HOLDING: &[&str] = &[
    "builtins",
    "math",
    "cmath",
    "re",
    "json",
    "itertools",
    "functools",
    "operator",
    "collections",
    "heapq",
    "bisect",
    "statistics",
    "random",
    "string",
    "fractions",
    "decimal",
    "copy",
    "struct",
    "dataclasses",
    "enum",
    "typing",
    "abc",
    "datetime",
    "time.time",
    "time.monotonic",
    "time.perf_counter",
    "time.process_time",
    "logging",
    "warnings",
    "textwrap",
    "unicodedata",
    "base64",
    "binascii",
    "uuid",
    "array",
    "weakref",
    "contextlib",
    "inspect",
    "types",
    "pickle",
    "marshal",
    "os.path",
    "os.environ",
    "os.getpid",
    "os.getenv",
    "sys",
    "threading.current_thread",
    "threading.get_ident",
    "threading.Lock",
    "threading.RLock",
    "threading.local",
    "queue.Queue",
    "queue.SimpleQueue",
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.as_completed",
];

/// Methods of the builtin types (`str`, `bytes`, `list`, `dict`, `set`, `tuple`) that hold the
/// GIL: on a receiver of unknown type, a call of one of these names is taken for one of them.
const BUILTIN_TYPE_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "extend",
    "insert",
    "remove",
    "pop",
    "popleft",
    "popitem",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "sort",
    "reverse",
    "copy",
    "index",
    "count",
    "get",
    "items",
    "keys",
    "values",
    "union",
    "intersection",
    "difference",
    "issubset",
    "issuperset",
    "join",
    "split",
    "rsplit",
    "splitlines",
    "strip",
    "lstrip",
    "rstrip",
    "replace",
    "format",
    "startswith",
    "endswith",
    "lower",
    "upper",
    "title",
    "capitalize",
    "find",
    "rfind",
    "partition",
    "rpartition",
    "encode",
    "decode",
    "isdigit",
    "isalpha",
    "isalnum",
    "isspace",
    "zfill",
    "ljust",
    "rjust",
    "center",
    "hex",
    "to_bytes",
    "from_bytes",
    "bit_length",
    "is_integer",
    "translate",
    "maketrans",
];

/// The tables, indexed once: lookups run for every call of every function.
struct Index {
    functions: HashMap<&'static str, Effect>,
    methods: HashMap<(&'static str, &'static str), Effect>,
    modules: HashMap<&'static str, Effect>,
    holding: HashSet<&'static str>,
    builtin_methods: HashSet<&'static str>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| Index {
    functions: FUNCTIONS.iter().copied().collect(),
    methods: METHODS
        .iter()
        .map(|&(ty, name, effect)| ((ty, name), effect))
        .collect(),
    modules: MODULES.iter().copied().collect(),
    holding: GIL_HOLDING.iter().copied().collect(),
    builtin_methods: BUILTIN_TYPE_METHODS.iter().copied().collect(),
});

/// What the catalogue knows of a call to the function `qualified`.
pub fn function(qualified: &str) -> Option<Effect> {
    INDEX.functions.get(qualified).copied()
}

/// What the catalogue knows of `method` called on an object of type `receiver`.
pub fn method(receiver: &str, method: &str) -> Option<Effect> {
    INDEX.methods.get(&(receiver, method)).copied()
}

/// What the catalogue knows of a call to `qualified` by its module alone (`numpy.dot`,
/// `requests.Session`): the longest module prefix in the table.
pub fn module(qualified: &str) -> Option<Effect> {
    prefixes(qualified).find_map(|prefix| INDEX.modules.get(prefix).copied())
}

/// Whether `qualified` (a function, class or method by qualified name) does its work holding the
/// GIL and waits on nothing: a builtin, `math`, `re`, `json`, logging...
pub fn holds_gil(qualified: &str) -> bool {
    lookup_name(qualified) == Some(HOLDS_GIL)
}

/// What a method called `name` on a receiver of unknown type does, when the name is a method of
/// the builtin types (`append`, `join`, `split`): it holds the GIL.
pub fn builtin_method(name: &str) -> Option<Effect> {
    INDEX.builtin_methods.contains(name).then_some(HOLDS_GIL)
}

/// Methods of file, socket and connection objects, by name alone: a call of one of these on an
/// object of unknown type is taken for I/O (`f.read()`, `conn.recv(4096)`, `cursor.execute()`).
const IO_METHODS: &[(&str, Blocking)] = &[
    ("read", Blocking::File),
    ("readline", Blocking::File),
    ("readlines", Blocking::File),
    ("readinto", Blocking::File),
    ("write", Blocking::File),
    ("writelines", Blocking::File),
    ("flush", Blocking::File),
    ("seek", Blocking::File),
    ("truncate", Blocking::File),
    ("recv", Blocking::Network),
    ("recv_into", Blocking::Network),
    ("recvfrom", Blocking::Network),
    ("send", Blocking::Network),
    ("sendall", Blocking::Network),
    ("sendto", Blocking::Network),
    ("accept", Blocking::Network),
    ("connect", Blocking::Network),
    ("getresponse", Blocking::Network),
    ("urlopen", Blocking::Network),
    ("execute", Blocking::Network),
    ("executemany", Blocking::Network),
    ("fetchone", Blocking::Network),
    ("fetchall", Blocking::Network),
    ("fetchmany", Blocking::Network),
    ("commit", Blocking::Network),
    ("communicate", Blocking::Subprocess),
];

/// Methods of `logging.Logger` (and adapters): a call of one of these on an object of unknown
/// type is taken for logging, done holding the GIL.
const LOGGER_METHODS: &[&str] = &[
    "debug",
    "info",
    "warning",
    "warn",
    "error",
    "exception",
    "critical",
    "isEnabledFor",
];

/// Calls that write to the console. Writing to a terminal or a pipe is I/O for what a thread's
/// work does (a loop that prints is not computing), though too quick to count as blocking for
/// the lock rules: they have no row in [`FUNCTIONS`].
const CONSOLE_OUTPUT: &[&str] = &["builtins.print", "pprint.pprint", "sys.stdout.write"];

/// Whether `qualified` writes to the console (`print`).
pub fn writes_console(qualified: &str) -> bool {
    CONSOLE_OUTPUT.contains(&qualified)
}

/// What a method called `name` on an object of unknown type does, when the name is a method of
/// file, socket or connection objects.
pub fn io_method(name: &str) -> Option<Effect> {
    IO_METHODS
        .iter()
        .find(|(method, _)| *method == name)
        .map(|(_, kind)| blocks(*kind))
}

/// What a method called `name` on an object of unknown type does, by its name alone: a method
/// of the builtin types or of a logger holds the GIL, one of a file or socket does I/O.
pub fn method_by_name(name: &str) -> Option<Effect> {
    if LOGGER_METHODS.contains(&name) {
        return Some(HOLDS_GIL);
    }
    builtin_method(name).or_else(|| io_method(name))
}

/// Everything the catalogue knows of a call of `qualified` (a function or class) or of method
/// `method` on an object of class `qualified`: its own row first, then the most specific module
/// row (`os.path.exists` touches the disk, `os.path.join` holds the GIL, `pickle.load` reads a
/// file, `pickle.loads` does not).
pub fn lookup(qualified: &str, method: Option<&str>) -> Option<Effect> {
    let own = match method {
        Some(m) => self::method(qualified, m),
        None => function(qualified),
    };
    own.or_else(|| match method {
        Some(m) => lookup_name(&format!("{qualified}.{m}")),
        None => lookup_name(qualified),
    })
}

/// The most specific of the module rows and the GIL-holding rows for `name` (a module row wins
/// over a GIL-holding row of the same prefix).
fn lookup_name(name: &str) -> Option<Effect> {
    if let Some(effect) = function(name) {
        return Some(effect);
    }
    prefixes(name).find_map(|prefix| {
        INDEX
            .modules
            .get(prefix)
            .copied()
            .or_else(|| INDEX.holding.contains(prefix).then_some(HOLDS_GIL))
    })
}

/// `name` and its dotted prefixes, longest first: `a.b.c`, `a.b`, `a`.
fn prefixes(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(name), |current| {
        current.rfind('.').map(|dot| &current[..dot])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_by_name_and_by_receiver() {
        assert_eq!(
            function("time.sleep").and_then(|e| e.blocks),
            Some(Blocking::Sleep)
        );
        assert_eq!(
            method("threading.Thread", "join").and_then(|e| e.blocks),
            Some(Blocking::ThreadJoin)
        );
        assert!(function("hashlib.sha256").is_some_and(|e| e.releases_gil && e.blocks.is_none()));
        assert_eq!(function("os.path.join"), None);
        assert_eq!(method("threading.Thread", "start"), None);
    }

    #[test]
    fn modules_builtins_and_methods_of_unknown_receivers() {
        assert!(module("numpy.linalg.norm").is_some_and(|e| e.releases_gil && e.blocks.is_none()));
        assert_eq!(
            module("requests.Session").and_then(|e| e.blocks),
            Some(Blocking::Network)
        );
        // A prefix is a whole module name: `numpyx` is not `numpy`.
        assert_eq!(module("numpyx.dot"), None);
        assert!(holds_gil("builtins.len") && holds_gil("math.sqrt") && holds_gil("re.compile"));
        assert!(!holds_gil("builtins.open") && !holds_gil("time.sleep"));
        assert_eq!(builtin_method("append"), Some(HOLDS_GIL));
        assert_eq!(builtin_method("recv"), None);
        assert_eq!(
            io_method("recv").and_then(|e| e.blocks),
            Some(Blocking::Network)
        );
        // The most specific row wins: `os.path.exists` touches the disk, `os.path.join` does not.
        assert_eq!(
            lookup("os.path.exists", None).and_then(|e| e.blocks),
            Some(Blocking::File)
        );
        assert_eq!(lookup("os.path.join", None), Some(HOLDS_GIL));
        assert_eq!(
            lookup("pathlib.Path", Some("read_text")).and_then(|e| e.blocks),
            Some(Blocking::File)
        );
        assert_eq!(lookup("mylib.thing", None), None);
        assert_eq!(
            lookup("pickle.load", None).and_then(|e| e.blocks),
            Some(Blocking::File)
        );
        assert_eq!(lookup("pickle.loads", None), Some(HOLDS_GIL));
    }
}
