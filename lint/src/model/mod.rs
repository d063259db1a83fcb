//! Per-function facts read from syn, as plain data.
//!
//! A file is parsed once and walked once (`build`); the syn tree is dropped
//! afterwards. Rules are queries over these facts plus the package index.

mod build;
mod cond;
mod extent;
pub mod locks;
mod path;

pub use build::{
    add_bodies, build_file_model, build_file_model_blanked, mentions_panic, BuildError,
};

use crate::span::Span;

pub type FrameId = usize;
pub type BlockId = usize;

#[derive(Debug, Default)]
pub struct FileModel {
    pub fns: Vec<FnModel>,
    /// `// synclint:allow(a, b)` comments: (line, lint names).
    pub allow_comments: Vec<(u32, Vec<String>)>,
    /// Syntax errors inside function bodies: each such body was left out
    /// and the rest of the file modelled (`build_file_model_blanked`).
    pub broken: Vec<String>,
    /// Path components relative to the package root (`src/sync/mpsc.rs`),
    /// set by the engine: Cargo targets and module names for resolution.
    pub parts: Vec<String>,
    /// Structs defined in the file (for what a type owns).
    pub structs: Vec<StructDef>,
    /// `use` imports of the file: (name in scope, full path).
    pub uses: Vec<(String, Vec<String>)>,
    /// Struct fields, statics and type aliases as the lock lints see them.
    pub locks: locks::TypeLocks,
    /// Out-of-line `mod m;` declarations whose file a `#[path]` attribute
    /// places (on the declaration or on an enclosing inline `mod`): where
    /// the module tree puts a file is not always where its path says.
    pub mod_decls: Vec<ModDecl>,
    /// Insides of the function bodies the parse left out (as applied:
    /// asked for, or holding a syntax error): `build::add_bodies` parses
    /// some of them later and splices their functions in.
    pub left_out: Vec<(u32, u32)>,
    /// What building a left-out body needs of the rest of the file: the
    /// methods its impls define, (type, method), and the doc comments the
    /// parse read as plain ones (`engine::depth::Survey::plain_docs`).
    pub impl_methods: Vec<(String, String)>,
    pub plain_docs: Vec<u32>,
}

/// `#[path = "sys/unix.rs"] mod imp;` (or a `mod m;` inside an inline
/// module that has a `#[path]`): the index maps the file it names to its
/// module path (`Index::module_paths`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModDecl {
    /// Enclosing inline modules, outermost first: (name, its `#[path]`).
    pub inline: Vec<(String, Option<String>)>,
    pub name: String,
    /// The declaration's own `#[path]`.
    pub path: Option<String>,
}

/// A struct (or tuple struct) and the type names its fields mention.
#[derive(Debug, Clone)]
pub struct StructDef {
    pub name: String,
    /// Enclosing inline `mod` names, outermost first.
    pub mods: Vec<String>,
    /// Every identifier in the fields' types (`Option<JoinHandle<()>>` ->
    /// Option, JoinHandle).
    pub field_types: Vec<String>,
    /// Byte offset of the name (see `TypeLocks::at`).
    pub at: u32,
}

/// What a function does with a parameter it is handed (a closure, usually).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamUse {
    /// Calls it (`f()`, `opt.map(f)`): it runs as part of this call.
    Called,
    /// Hands it to an offload function (`thread::spawn(f)`).
    Offloaded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receiver {
    /// A free function (no self).
    None,
    /// `&self`, `self: &Arc<Self>`, `self: Arc<Self>`, `self: Pin<&Self>`, `self: &Self`.
    Shared,
    /// `&mut self`, `self: Pin<&mut Self>`.
    Exclusive,
    /// `self`, `mut self`.
    Value,
}

#[derive(Debug)]
pub struct FnModel {
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    /// Last segment of the impl's self type.
    pub self_ty: Option<String>,
    /// The impl's self type as written, generics dropped (`super::Stream`
    /// -> [super, Stream]); the index resolves it to a module path, so that
    /// `host::alsa::Stream` and `host::wasapi::Stream` stay apart.
    pub self_ty_path: Vec<String>,
    /// Last segment of the implemented trait (`Drop`).
    pub trait_name: Option<String>,
    pub receiver: Receiver,
    /// A free fn with a `&T` parameter (SPEC: a shared receiver for lint 2).
    pub takes_shared_ref: bool,
    /// Parameter names (not `self`) and how each is passed: `&T`, `Arc<T>`,
    /// `Rc<T>` Shared; `&mut T` Exclusive; anything else Value.
    pub params: Vec<(String, Receiver)>,
    /// Callable from outside its module: `pub`, `pub(..)`, or a trait method.
    pub is_pub: bool,
    /// Its doc comment documents a panic (`# Panics`, "panics if ..").
    pub doc_panics: bool,
    /// Returns a value: not `()`, `bool`, `Result<(), _>` or `Option<()>`.
    pub returns_value: bool,
    /// For items declared inside a fn body: that fn's start byte (types
    /// declared there are local to it).
    pub scope: Option<u32>,
    /// Calls `mem::forget(self)` / `ManuallyDrop::new(self)`: its `Drop` never runs.
    pub forgets_self: bool,
    pub is_async: bool,
    /// An associated fn returning `Self` or the impl type (a constructor).
    pub returns_self: bool,
    /// Lints allowed by `#[cfg_attr(synclint, allow(synclint::x))]` on this
    /// item or an enclosing impl/mod/file.
    pub allows: Vec<String>,
    /// If the whole body is a read of close state (`self.closed.load(..)`),
    /// that read: a call of this method is a closed check on that flag.
    pub close_read_only: Option<CloseRead>,
    /// Enclosing inline `mod` names, outermost first.
    pub mods: Vec<String>,
    /// Test code: `#[test]`/`#[tokio::test]`-like attribute, or inside `#[cfg(test)]`.
    pub is_test: bool,
    /// The wait guard this function hands back to its caller (its tail is
    /// `scopeguard::guard(..)`, `T { .. }`, `T(..)`, or a guard binding), so a
    /// call of it arms that guard (`let _g = join_on_exit(h)`).
    pub returns_guard: Option<GuardArm>,
    /// Parameters (by position, `self` not counted) the body calls or
    /// offloads: a closure handed to this function runs accordingly.
    pub param_uses: Vec<(usize, ParamUse)>,
    /// Parameter names and the last identifier of their type (`&Conn` -> Conn).
    pub param_types: Vec<(String, String)>,
    /// Bindings of `x.borrow_mut()` / `x.borrow()` (a `RefCell` is not
    /// `Sync`: what is read and written under one borrow cannot race):
    /// (binding, borrow position, end of its block).
    pub cell_borrows: Vec<(String, u32, u32)>,
    /// Plain assignments to a field path (`self.h = Some(h)`), by position:
    /// a value taken and put back.
    pub puts: Vec<(String, u32)>,
    /// Close-path methods called on a receiver other than `self`, and
    /// whether that receiver is a value this function owns (a loop binding
    /// over `drain(..)`/`into_iter()`, a local taken or built here): (name,
    /// owned).
    pub close_calls: Vec<(String, bool)>,
    /// Lock guards whose contents a wait works on: (lock position, the
    /// binding of the guard or of a value borrowed from it).
    pub lock_contents: Vec<(u32, String)>,
    pub frames: Vec<Frame>,
    pub blocks: Vec<Block>,
    /// In source order.
    pub events: Vec<Event>,
    /// Declarations and shapes the lock-guard lifetime lints read.
    pub locks: locks::FnLocks,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Body,
    /// A closure whose body may run here (iterator adaptors, guards, ...).
    Closure,
    /// A closure handed to an offload function (`spawn_blocking`, `thread::spawn`).
    Offload,
    AsyncBlock,
}

#[derive(Debug)]
pub struct Frame {
    pub parent: Option<FrameId>,
    pub kind: FrameKind,
    /// Async context (SPEC §1).
    pub is_async: bool,
    /// Runs as part of the enclosing function's own execution (not deferred
    /// to another thread or a future).
    pub runs_inline: bool,
    /// A closure handed to a crate function (the call, and the argument's
    /// position): it runs as that function uses its parameter
    /// (`Index::frame_runs_inline`); until resolved it is deferred.
    pub handed_to: Option<(CallTarget, usize)>,
}

#[derive(Debug)]
pub struct Block {
    pub parent: Option<BlockId>,
    pub frame: FrameId,
    pub start: u32,
    pub end: u32,
    /// The body of a `loop`/`while`/`for`: `break` and `continue` end it.
    pub loop_body: bool,
}

#[derive(Debug)]
pub struct Event {
    /// Start byte; events are sorted by it.
    pub pos: u32,
    pub block: BlockId,
    pub frame: FrameId,
    pub kind: EventKind,
    /// Inside a statement marked `#[cfg(test)]` (`#[cfg(test)] let ..;`,
    /// `#[cfg(test)] { .. }`): test code, like a test fn, for the lints that
    /// skip test code.
    pub test: bool,
}

#[derive(Debug)]
pub enum EventKind {
    Wait(WaitCall),
    Call(CallRef),
    Guard(GuardArm),
    Check(ClosedCheck),
    /// `drop(name)`, `mem::drop(name)`, `ScopeGuard::into_inner(name)`.
    Drop {
        name: String,
    },
    Lock(LockAcq),
    Write(FlagWrite),
    Take(Take),
}

/// A call from the wait vocabulary.
#[derive(Debug, Clone)]
pub struct WaitCall {
    pub name: String,
    /// The method name, or the path of a function call.
    pub span: Span,
    /// Directly (or through a wrapping call) awaited.
    pub awaited: bool,
    /// Identifiers passed as arguments (`cv.wait(guard)` hands over `guard`).
    pub arg_idents: Vec<String>,
    /// Always a blocking wait, even in async code (`blocking_recv`, `block_on`, `thread::sleep`).
    pub always_blocking: bool,
    /// Byte range of what is waited on: the receiver and the arguments.
    pub operand: (u32, u32),
    /// Root identifiers named in the receiver and arguments (`exporter` in
    /// `block_on(exporter.export(..))`).
    pub operand_idents: Vec<String>,
    /// The receiver's type when the model knows it (a parameter or local of
    /// a declared or built type) and this file does not implement the
    /// method for it: the index looks for the crate's own definition
    /// (`Index::wait_witness`) before calling it a wait.
    pub recv_ty: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallTarget {
    /// `self.m()`.
    SelfMethod(String),
    /// `Type::f()` / `Self::f()` (resolved to the impl type).
    TypeFn(String, String),
    /// `f()`.
    Free(String),
}

#[derive(Debug, Clone)]
pub struct CallRef {
    pub target: CallTarget,
    pub span: Span,
    pub awaited: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    Named(String),
    /// `let _ = ...`
    Underscore,
    /// `defer! { .. }`: alive until the end of the block.
    Anonymous,
    /// The function's tail value: handed to the caller (moved to
    /// `FnModel::returns_guard`, never left in `events`).
    Returned,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardKind {
    /// `defer!` with the frame of its body.
    Defer(FrameId),
    /// `scopeguard::guard(v, closure)` and friends, with the closure's frame.
    /// `None` when the closure is a path to a function (then `call` is set).
    ScopeGuard(Option<FrameId>),
    /// A crate type whose `Drop` may wait, and the associated fn used to
    /// build it (`None` for a struct literal or tuple-struct call).
    DropType { ty: String, ctor: Option<String> },
    /// A call of a crate function that may return a wait guard
    /// (`FnModel::returns_guard`).
    Returned(CallTarget),
}

#[derive(Debug, Clone)]
pub struct GuardArm {
    /// The arming statement (`let` or `defer!`).
    pub stmt: Span,
    pub binding: Binding,
    pub kind: GuardKind,
    /// A function path handed to `guard(v, path)`.
    pub call: Option<CallTarget>,
    /// `let _ = x` span of the `_` pattern for fixes.
    pub pat: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReadKind {
    /// `x.is_closed()` (vocabulary).
    Method(String),
    /// `self.m()` that may resolve to a close-state method through the index.
    SelfMethod(String),
    /// A close flag field (`self.closed`).
    Field,
    /// A comparison or pattern against a Closed-like path or const.
    Variant(String),
    /// `self.ensure_open()?`.
    EnsureOpen(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRead {
    pub kind: CloseReadKind,
    /// The state path read (`self.closed`, `self.state`), when known.
    pub path: Option<String>,
    /// Read through a lock (`*self.closed.lock().unwrap()`).
    pub via_lock: bool,
    /// An atomic read-modify-write (`swap`, `compare_exchange`, `fetch_or`):
    /// claims ownership rather than checking.
    pub claim: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ClosedCheck {
    /// The condition (or the `?` statement).
    pub span: Span,
    /// The whole `if`/`match`/statement.
    pub stmt: Span,
    pub reads: Vec<CloseRead>,
    /// A branch taken when closed leaves the function.
    pub leaves: bool,
    /// ... only by `break` (or a let-else `continue`): it leaves the
    /// innermost loop around the check, not the function itself.
    pub by_break: bool,
    /// Byte ranges where the check found the state open.
    pub open: Vec<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct LockAcq {
    /// Normalised path of the lock (`self.state`, `inner.state`, `STATE`).
    pub path: String,
    /// The `lock`/`read`/`write` method name.
    pub span: Span,
    pub binding: Option<String>,
    /// `lock`, `read`, `write`, or a `try_*` (never an acquisition).
    pub kind: locks::LockKind,
    /// Byte where a temporary guard ends, or the end of the block for a
    /// named one (before `drop(name)`).
    pub live_end: u32,
}

#[derive(Debug, Clone)]
pub struct FlagWrite {
    pub path: String,
    pub span: Span,
    /// The write goes through a lock taken in this very statement.
    pub via_lock: bool,
    /// Written through a named guard (its binding).
    pub via_guard: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Take {
    pub path: String,
    /// The `take` method name.
    pub span: Span,
    /// Followed by `.unwrap()` / `.expect(..)`.
    pub unwrapped: bool,
    /// The method then called on the unwrapped value (`join` in
    /// `self.h.take().unwrap().join()`).
    pub consumed_by: Option<String>,
    /// Inside a branch whose condition mentions the same path (`is_some()`).
    pub guarded: bool,
    /// The whole statement, and the method chain after `.unwrap()` if the
    /// statement is `x.take().unwrap().f(..);` (for the fix).
    pub stmt: Span,
}

impl FnModel {
    /// Is block `inner` the same as or nested in block `outer`?
    pub fn block_within(&self, mut inner: BlockId, outer: BlockId) -> bool {
        loop {
            if inner == outer {
                return true;
            }
            match self.blocks[inner].parent {
                Some(p) => inner = p,
                None => return false,
            }
        }
    }

    /// Is frame `inner` the same as `outer` or an inline closure nested in it?
    pub fn frame_inline_within(&self, mut inner: FrameId, outer: FrameId) -> bool {
        loop {
            if inner == outer {
                return true;
            }
            let f = &self.frames[inner];
            if f.kind != FrameKind::Closure {
                return false;
            }
            match f.parent {
                Some(p) => inner = p,
                None => return false,
            }
        }
    }

    /// The first `drop(name)` at or after `from` within `block` (or nested).
    pub fn dropped_at(&self, name: &str, block: BlockId, from: u32) -> Option<u32> {
        self.events.iter().find_map(|e| match &e.kind {
            EventKind::Drop { name: n }
                if n == name && e.pos >= from && self.block_within(e.block, block) =>
            {
                Some(e.pos)
            }
            _ => None,
        })
    }

    pub fn is_shared(&self) -> bool {
        self.receiver == Receiver::Shared
            || (self.receiver == Receiver::None && self.takes_shared_ref)
    }

    pub fn qualified_name(&self) -> String {
        match &self.self_ty {
            Some(t) => format!("{t}::{}", self.name),
            None => self.name.clone(),
        }
    }
}
