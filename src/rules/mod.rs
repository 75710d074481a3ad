//! The rule registry and the rule implementations.
//!
//! Every rule is declared once, in [`declare_rules!`] below: its stable code, its kebab-case name,
//! its family, its default severity and a one-line summary. Its Markdown doc lives in
//! `rules/<CODE>-<name>.md` and is embedded in the binary. The check itself lives in one file per
//! rule under the family's module: `thread_api` (SN1xx) runs on each file's AST in the per-file
//! phase; `races` (SN2xx), `gil` (SN4xx), `multiprocessing` (SN5xx), `futures` (SN6xx) and
//! `asyncio` (SN7xx) run on the linked project model (SN507, SN508 and SN704 on the AST); `locks`
//! (SN3xx) has rules of both kinds.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::diagnostic::Severity;

pub mod asyncio;
pub mod futures;
pub mod gil;
pub mod locks;
pub mod multiprocessing;
pub mod races;
pub mod thread_api;
pub mod unused_noqa;

/// The rule families, by the hundreds digit of their codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// SN0xx: problems reading or parsing a file.
    Meta,
    /// SN1xx: thread and process API misuse.
    ThreadApi,
    /// SN2xx: shared-state races.
    Races,
    /// SN3xx: locks, conditions, deadlocks.
    Locks,
    /// SN4xx: the GIL, CPU-bound work, threads versus processes.
    Gil,
    /// SN5xx: multiprocessing.
    Multiprocessing,
    /// SN6xx: executors and futures.
    Futures,
    /// SN7xx: asyncio and threads.
    Asyncio,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Meta => "meta",
            Family::ThreadApi => "thread-api",
            Family::Races => "races",
            Family::Locks => "locks",
            Family::Gil => "gil",
            Family::Multiprocessing => "multiprocessing",
            Family::Futures => "futures",
            Family::Asyncio => "asyncio",
        }
    }
}

macro_rules! declare_rules {
    ($( $variant:ident => $code:literal, $name:literal, $family:ident, $severity:ident, $summary:literal; )*) => {
        /// A rule snarl can report. Codes are stable once released: never reuse one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $variant, )*
        }

        impl Rule {
            /// Every rule, in code order.
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            pub fn code(self) -> &'static str {
                match self { $( Rule::$variant => $code, )* }
            }

            pub fn name(self) -> &'static str {
                match self { $( Rule::$variant => $name, )* }
            }

            pub fn family(self) -> Family {
                match self { $( Rule::$variant => Family::$family, )* }
            }

            /// The default severity of this rule's findings.
            pub fn severity(self) -> Severity {
                match self { $( Rule::$variant => Severity::$severity, )* }
            }

            /// One line on what the rule reports.
            pub fn summary(self) -> &'static str {
                match self { $( Rule::$variant => $summary, )* }
            }

            /// The rule's Markdown documentation (`rules/<CODE>-<name>.md`).
            pub fn doc(self) -> &'static str {
                match self {
                    $( Rule::$variant => include_str!(concat!("../../rules/", $code, "-", $name, ".md")), )*
                }
            }
        }
    };
}

declare_rules! {
    SyntaxError => "SN001", "syntax-error", Meta, Error,
        "The file does not parse; snarl analyzes what it could parse.";
    IoError => "SN002", "io-error", Meta, Error,
        "The file could not be read or is not valid UTF-8.";
    InternalError => "SN003", "internal-error", Meta, Error,
        "snarl itself failed on the file (a bug in snarl); the rest of the run goes on.";
    UnusedNoqa => "SN004", "unused-noqa", Meta, Warning,
        "A `# noqa` or `# snarl: noqa` names snarl codes that suppress nothing.";
    ThreadTargetCalled => "SN101", "thread-target-called", ThreadApi, Error,
        "A thread or pool is given the result of calling the target instead of the target itself.";
    ThreadArgsNotTuple => "SN102", "thread-args-not-tuple", ThreadApi, Error,
        "`args=` is not a tuple (a missing comma) or `kwargs=` is not a mapping.";
    ThreadRunCalled => "SN103", "thread-run-called", ThreadApi, Warning,
        "`.run()` is called on a thread or process: the body runs in the caller, not in a new thread.";
    ThreadInitWithoutSuper => "SN104", "thread-init-without-super", ThreadApi, Error,
        "A Thread or Process subclass overrides `__init__` without calling the base `__init__`.";
    ThreadStartOverridden => "SN105", "thread-start-overridden", ThreadApi, Error,
        "A Thread or Process subclass overrides `start()` without calling the base `start()`.";
    ThreadPositionalGroup => "SN106", "thread-positional-group", ThreadApi, Error,
        "The target is passed positionally to Thread/Process, where the first parameter is `group`.";
    LockNotShared => "SN107", "lock-not-shared", ThreadApi, Warning,
        "A lock is created and used inside one call and never shared, so it excludes nothing.";
    ThreadStartedTwice => "SN108", "thread-started-twice", ThreadApi, Error,
        "`.start()` is called twice on the same thread or process object.";
    SignalOutsideMainThread => "SN109", "signal-outside-main-thread", ThreadApi, Error,
        "`signal.signal()` is reachable from a thread other than the main thread.";
    ThreadJoinedBeforeStart => "SN110", "thread-joined-before-start", ThreadApi, Error,
        "`.join()` can run on a thread or process that was never started.";
    ThreadTargetArgumentsMismatch => "SN111", "thread-target-arguments-mismatch", ThreadApi, Error,
        "A thread, process or pool task is given arguments its target function cannot accept.";
    UnsynchronizedReadModifyWrite => "SN201", "unsynchronized-read-modify-write", Races, Error,
        "Shared state is read, changed and written back by concurrent code without a common lock.";
    CheckThenActRace => "SN202", "check-then-act-race", Races, Error,
        "Shared state is tested and then updated on that test by concurrent code without a lock over both.";
    InconsistentLockProtection => "SN203", "inconsistent-lock-protection", Races, Warning,
        "Shared state is guarded by a lock in some places and written without it in others.";
    IterationDuringMutation => "SN204", "iteration-during-mutation", Races, Error,
        "A shared container is iterated while another thread may change its size.";
    SharedDecoratorState => "SN205", "shared-decorator-state", Races, Warning,
        "A context manager used as a decorator keeps per-call state on the one shared instance.";
    LockAcquireWithoutRelease => "SN301", "lock-acquire-without-release", Locks, Warning,
        "`lock.acquire()` whose `release()` some path skips: a `return`, a `raise` or an exception leaves it held.";
    LockOrderInversion => "SN302", "lock-order-inversion", Locks, Error,
        "Two locks are taken in opposite orders by code that runs on different threads: a potential deadlock.";
    NonreentrantLockReacquired => "SN303", "nonreentrant-lock-reacquired", Locks, Error,
        "A `Lock` (not an `RLock`) is taken again, directly or through calls, by the thread that holds it.";
    ConditionWaitOutsideLoop => "SN304", "condition-wait-outside-loop", Locks, Warning,
        "`cond.wait()` is not in a `while` loop that rechecks the predicate.";
    ConditionWithoutLock => "SN305", "condition-without-lock", Locks, Error,
        "`wait`/`notify` on a condition whose lock is not held: `RuntimeError`.";
    BlockingCallUnderLock => "SN306", "blocking-call-under-lock", Locks, Warning,
        "A call that sleeps, waits or does network I/O runs while a lock is held, directly or through calls.";
    BusyWaitOnSharedFlag => "SN307", "busy-wait-on-shared-flag", Locks, Warning,
        "A loop polls state another thread sets, spinning or sleeping between checks, instead of waiting on an `Event`.";
    ReleaseWithoutAcquire => "SN308", "release-without-acquire", Locks, Error,
        "`lock.release()` on a path where the acquire did not happen or did not succeed.";
    CallbackUnderLock => "SN309", "callback-under-lock", Locks, Warning,
        "A callable from outside (a parameter, a registered handler) is called while a non-reentrant lock is held.";
    CpuBoundWorkOnThreads => "SN401", "cpu-bound-work-on-threads", Gil, Warning,
        "Threads started to run in parallel run pure-Python computation, which the GIL runs one thread at a time.";
    IoBoundWorkOnProcesses => "SN402", "io-bound-work-on-processes", Gil, Info,
        "Processes run work that only waits on I/O, which threads overlap without process start-up and pickling.";
    SubmitThenWait => "SN403", "submit-then-wait", Gil, Warning,
        "A loop submits a task to a pool and waits for it before submitting the next: the tasks run one at a time.";
    ExecutorCreatedPerCall => "SN404", "executor-created-per-call", Gil, Warning,
        "A pool or executor is created on every loop pass or every call of code that runs many times, paying its start-up each time.";
    ProcessMapWithoutChunksize => "SN405", "process-map-without-chunksize", Gil, Info,
        "A process pool maps cheap work over many items one item per message: pickling and messages cost more than the work.";
    ProcessStartWithoutMainGuard => "SN501", "process-start-without-main-guard", Multiprocessing, Error,
        "Processes are started when the module is imported, outside `if __name__ == \"__main__\":`.";
    UnpicklableProcessCallable => "SN502", "unpicklable-process-callable", Multiprocessing, Error,
        "What goes to a process cannot be pickled: a lambda, a nested function, an open file, a module, a generator.";
    ChildProcessMutatesParentState => "SN503", "child-process-mutates-parent-state", Multiprocessing, Error,
        "A child process changes state the parent reads afterwards; the parent never sees the change.";
    JoinBeforeQueueDrain => "SN504", "join-before-queue-drain", Multiprocessing, Error,
        "The parent joins a process that puts on a `multiprocessing` queue before reading the queue.";
    ThreadPrimitivePassedToProcess => "SN505", "thread-primitive-passed-to-process", Multiprocessing, Error,
        "A `threading` lock, event or condition, or a `queue.Queue`, is given to a process.";
    SharedValueNonatomicUpdate => "SN506", "shared-value-nonatomic-update", Multiprocessing, Error,
        "`v.value += ...` on a shared `Value` or `Array` in several processes without its lock.";
    PoolResultAfterWith => "SN507", "pool-result-after-with", Multiprocessing, Error,
        "Results of a pool's async methods are read after its `with` block, which terminated the pool.";
    PoolNotClosed => "SN508", "pool-not-closed", Multiprocessing, Warning,
        "A pool or executor is created without `with` and never closed or shut down.";
    ForkWithThreads => "SN509", "fork-with-threads", Multiprocessing, Warning,
        "The process forks while a thread the program started may be running.";
    FutureResultIgnored => "SN601", "future-result-ignored", Futures, Warning,
        "The future of a submitted task is dropped: an exception the task raises is never seen.";
    ExecutorMapResultIgnored => "SN602", "executor-map-result-ignored", Futures, Warning,
        "The iterator of `executor.map` / `pool.imap` is dropped: the tasks' exceptions are never seen.";
    WaitOnOwnExecutor => "SN603", "wait-on-own-executor", Futures, Error,
        "A task on a thread pool waits for another task of the same pool: when every worker waits, nothing runs.";
    LoopCallFromThread => "SN701", "loop-call-from-thread", Asyncio, Error,
        "Code running on a plain thread calls an event-loop or asyncio API that only the loop's thread may call.";
    BlockingCallInAsync => "SN702", "blocking-call-in-async", Asyncio, Warning,
        "A coroutine makes a blocking call, directly or through sync helpers: every task on the loop waits.";
    CpuBoundInAsync => "SN703", "cpu-bound-in-async", Asyncio, Warning,
        "A coroutine runs pure-Python computation on the event loop, directly or through sync helpers: every task on the loop waits.";
    ThreadLockAcrossAwait => "SN704", "thread-lock-across-await", Asyncio, Error,
        "A `threading` lock is held across an `await`: another task that takes it blocks the loop thread.";
    AsyncioRunInRunningLoop => "SN705", "asyncio-run-in-running-loop", Asyncio, Error,
        "`asyncio.run()` or `run_until_complete()` is reachable from a coroutine: it raises RuntimeError.";
}

/// Whether a rule's findings come with a fix that `--fix` can apply (ruff's names and wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FixAvailability {
    Always,
    Sometimes,
    None,
}

impl fmt::Display for FixAvailability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FixAvailability::Always => "Fix is always available.",
            FixAvailability::Sometimes => "Fix is sometimes available.",
            FixAvailability::None => "Fix is not available.",
        })
    }
}

impl Rule {
    /// Whether this rule's findings carry a fix. Each rule's doc says the same (checked by
    /// `tests/rule_docs.rs`).
    pub fn fix_availability(self) -> FixAvailability {
        match self {
            Rule::ThreadRunCalled | Rule::UnusedNoqa => FixAvailability::Always,
            Rule::ThreadTargetCalled | Rule::ThreadArgsNotTuple | Rule::ThreadPositionalGroup => {
                FixAvailability::Sometimes
            }
            _ => FixAvailability::None,
        }
    }

    /// Opt-in rules are off unless selected by code, prefix, name or `ALL` (as ruff's `RUF100`).
    pub fn is_opt_in(self) -> bool {
        matches!(self, Rule::UnusedNoqa | Rule::CpuBoundInAsync)
    }

    /// The rule with this code (`SN101`) or name (`thread-target-called`).
    ///
    /// ```
    /// use snarl::rules::Rule;
    ///
    /// assert_eq!(Rule::from_code_or_name("SN201"), Some(Rule::UnsynchronizedReadModifyWrite));
    /// assert_eq!(Rule::from_code_or_name("check-then-act-race"), Some(Rule::CheckThenActRace));
    /// assert_eq!(Rule::from_code_or_name("SN999"), None);
    /// ```
    pub fn from_code_or_name(text: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|rule| rule.code().eq_ignore_ascii_case(text) || rule.name() == text)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What `--select`, `--ignore` and the config keys accept: `ALL`, a code, a code prefix (`SN2`,
/// `SN20`), or a rule name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleSelector {
    All,
    Prefix(String),
    Rule(Rule),
}

impl RuleSelector {
    /// The rules this selector names.
    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        Rule::ALL.iter().copied().filter(move |rule| match self {
            RuleSelector::All => true,
            RuleSelector::Prefix(prefix) => rule.code().starts_with(prefix.as_str()),
            RuleSelector::Rule(selected) => rule == selected,
        })
    }

    /// How specific the selector is; a more specific `ignore` or `select` wins over a broader one.
    pub fn specificity(&self) -> usize {
        match self {
            RuleSelector::All => 0,
            RuleSelector::Prefix(prefix) => prefix.len(),
            RuleSelector::Rule(_) => usize::MAX,
        }
    }
}

impl FromStr for RuleSelector {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "ALL" {
            return Ok(RuleSelector::All);
        }
        if let Some(rule) = Rule::from_code_or_name(text) {
            return Ok(RuleSelector::Rule(rule));
        }
        let upper = text.to_ascii_uppercase();
        if upper.starts_with("SN")
            && upper[2..].chars().all(|c| c.is_ascii_digit())
            && Rule::ALL.iter().any(|rule| rule.code().starts_with(&upper))
        {
            return Ok(RuleSelector::Prefix(upper));
        }
        Err(format!(
            "unknown rule selector `{text}`: expected `ALL`, a rule code (`SN101`), a code prefix (`SN1`, `SN10`) or a rule name (`thread-target-called`); `snarl rules` lists them"
        ))
    }
}

impl fmt::Display for RuleSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleSelector::All => f.write_str("ALL"),
            RuleSelector::Prefix(prefix) => f.write_str(prefix),
            RuleSelector::Rule(rule) => f.write_str(rule.code()),
        }
    }
}

/// A set of rules, as a bit set over [`Rule::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct RuleSet(u128);

impl RuleSet {
    pub fn empty() -> Self {
        Self(0)
    }

    pub fn all() -> Self {
        Rule::ALL.iter().copied().collect()
    }

    /// The rules enabled when nothing is selected: every rule but the opt-in ones.
    pub fn defaults() -> Self {
        Rule::ALL
            .iter()
            .copied()
            .filter(|rule| !rule.is_opt_in())
            .collect()
    }

    pub fn insert(&mut self, rule: Rule) {
        self.0 |= 1 << rule as u32;
    }

    pub fn remove(&mut self, rule: Rule) {
        self.0 &= !(1 << rule as u32);
    }

    pub fn contains(&self, rule: Rule) -> bool {
        self.0 & (1 << rule as u32) != 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Rule> + '_ {
        Rule::ALL
            .iter()
            .copied()
            .filter(|rule| self.contains(*rule))
    }

    /// Whether any rule of `family` is in the set (lets the pipeline skip whole phases).
    pub fn any_in(&self, family: Family) -> bool {
        self.iter().any(|rule| rule.family() == family)
    }
}

impl FromIterator<Rule> for RuleSet {
    fn from_iter<I: IntoIterator<Item = Rule>>(iter: I) -> Self {
        let mut set = RuleSet::empty();
        for rule in iter {
            set.insert(rule);
        }
        set
    }
}
