//! Hand-off points: calls on a shared `Event`, `Queue` or `Condition` that order what one thread
//! did before them with what another thread does after them (`event.set()` … `event.wait()`,
//! `queue.put(x)` … `queue.get()`, `cond.notify()` … `cond.wait()`).

use super::builder::Builder;
use super::{ContainerKind, Loc, SyncKind, SyncPoint};
use crate::python::ast::{self, Expr};
use crate::python::Ranged;

impl Builder<'_> {
    /// Records the hand-off `object.method(...)` makes, if `object` is a shared synchronizer.
    pub(super) fn sync_in_call(&mut self, call: &ast::ExprCall, object: &Expr, method: &str) {
        let Some((loc, _)) = self.location(object) else {
            return;
        };
        let kind = match method {
            "set" | "put" | "put_nowait" | "notify" | "notify_all" | "release" => SyncKind::Signal,
            "wait" | "wait_for" | "get" | "get_nowait" | "join" => SyncKind::Wait,
            _ => return,
        };
        if !self.is_synchronizer(object, &loc, method) {
            return;
        }
        self.summary().syncs.push(SyncPoint {
            kind,
            on: loc,
            range: call.range(),
        });
    }

    /// Whether the object at `loc` is an `Event`, a queue or a condition: by its type where the
    /// assignments show it, else by a name that says so and a method only such objects have.
    fn is_synchronizer(&self, object: &Expr, loc: &Loc, method: &str) -> bool {
        let ty = match loc {
            Loc::Attr { class, name } => self.attr_type(class, name),
            _ => self.type_of(object),
        };
        if let Some(ty) = ty {
            return super::effects::container_kind(Some(&ty), object)
                == Some(ContainerKind::Synchronized)
                || matches!(
                    ty.as_str(),
                    "threading.Condition" | "multiprocessing.Condition"
                );
        }
        let name = match loc {
            Loc::Attr { name, .. } | Loc::Cell { name, .. } => name.as_str(),
            Loc::Global { name } => name.rsplit('.').next().unwrap_or(name),
        }
        .to_ascii_lowercase();
        let queue_like = name.ends_with("queue") || name.ends_with("_q") || name == "q";
        let event_like = name.contains("event")
            || name.ends_with("_ready")
            || name.ends_with("_done")
            || name.ends_with("_evt");
        match method {
            "put" | "put_nowait" | "get" | "get_nowait" => queue_like,
            "set" | "wait" => event_like,
            "notify" | "notify_all" | "wait_for" => name.contains("cond"),
            _ => false,
        }
    }
}
