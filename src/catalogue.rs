//! The catalogue of calls whose effect on threads the rules need to know: which calls block the
//! calling thread (and on what), which do I/O, and which release the GIL while they work.
//!
//! One table, keyed by qualified name (`time.sleep`) or by receiver type and method
//! (`threading.Thread` + `join`), shared by the lock rules (a blocking call under a lock), the GIL
//! rules (I/O-bound or GIL-releasing work on threads and processes) and the asyncio rules (a
//! blocking call in a coroutine). Adding a library means adding rows here.

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
];

/// What the catalogue knows of a call to the function `qualified`.
pub fn function(qualified: &str) -> Option<Effect> {
    FUNCTIONS
        .iter()
        .find(|(name, _)| *name == qualified)
        .map(|(_, effect)| *effect)
}

/// What the catalogue knows of `method` called on an object of type `receiver`.
pub fn method(receiver: &str, method: &str) -> Option<Effect> {
    METHODS
        .iter()
        .find(|(ty, name, _)| *ty == receiver && *name == method)
        .map(|(_, _, effect)| *effect)
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
}
