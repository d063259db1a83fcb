#!/usr/bin/env python3
"""Runs docs/editors.md's rust-analyzer recipes against a real rust-analyzer.

Usage: rust-analyzer-recipe.py CARGO_SYNCLINT_BINARY [SCRATCH_DIR]

For each recipe it makes a probe package whose lib.rs has a synclint finding
and a rustc type error, starts `rust-analyzer` as an editor would (LSP over
stdio, settings as initializationOptions), opens and saves lib.rs, and
collects the diagnostics rust-analyzer publishes after its check ("flycheck")
ran. `cargo-synclint` is put on PATH behind a wrapper that records the
arguments rust-analyzer gave it.

- check.command = "synclint": synclint's finding shows with source
  "synclint" (the code's tool prefix); cargo check no longer runs, so the
  rustc error is not shown by the check.
- the recipe that keeps rustc's errors (an overrideCommand running
  `cargo check` and then `cargo synclint`): both show.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

LIB_RS = """pub struct Conn {
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Conn {
    pub fn close(&mut self) {
        self.worker.take().unwrap().join().ok();
    }
}

pub fn broken() -> u32 {
    "not a number"
}
"""

# The recipes, as docs/editors.md gives them (VS Code settings without the
# "rust-analyzer." prefix).
CHECK_ARGS = (
    "--workspace --all-targets --keep-going --message-format=json-diagnostic-rendered-ansi"
)
RECIPES = {
    "check.command": {"check": {"command": "synclint"}},
    "keep-rustc": {
        "check": {
            "overrideCommand": [
                "sh",
                "-c",
                f"cargo check {CHECK_ARGS}; cargo synclint {CHECK_ARGS}",
            ]
        }
    },
}


class Lsp:
    def __init__(self, cwd, env):
        self.p = subprocess.Popen(
            ["rust-analyzer"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 1
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.notes = []  # (method, params)
        self.responses = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def _read(self):
        f = self.p.stdout
        while True:
            length = None
            while True:
                line = f.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.partition(b":")
                if k.lower() == b"content-length":
                    length = int(v)
            msg = json.loads(f.read(length))
            if "method" in msg and "id" in msg:
                # A request from the server (progress tokens, capability
                # registration, configuration): answer it.
                result = None
                if msg["method"] == "workspace/configuration":
                    result = [None for _ in msg["params"]["items"]]
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            with self.cond:
                if "method" in msg and "id" not in msg:
                    self.notes.append((msg["method"], msg.get("params")))
                elif "id" in msg:
                    self.responses[msg["id"]] = msg
                self.cond.notify_all()

    def request(self, method, params, timeout=60):
        i = self.next_id
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
        with self.cond:
            ok = self.cond.wait_for(lambda: i in self.responses, timeout)
        if not ok:
            raise SystemExit(f"rust-analyzer did not answer {method}")
        return self.responses[i]

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, pred, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: pred(self.notes), timeout)

    def close(self):
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.p.wait(timeout=10)
        except Exception:
            self.p.kill()
            self.p.wait()


def run_recipe(name, settings, synclint_bin, tmp):
    proj = os.path.join(tmp, name)
    os.makedirs(os.path.join(proj, "src"))
    with open(os.path.join(proj, "Cargo.toml"), "w") as f:
        # Its own workspace: cargo looks no further up for one.
        f.write(
            '[package]\nname = "ra-probe"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n'
        )
    lib = os.path.join(proj, "src", "lib.rs")
    with open(lib, "w") as f:
        f.write(LIB_RS)
    subprocess.run(["git", "init", "-q", proj], check=True)
    # cargo-synclint on PATH, behind a wrapper that records its arguments.
    bindir = os.path.join(tmp, name + "-bin")
    os.makedirs(bindir)
    argv_log = os.path.join(tmp, name + "-argv.json")
    wrapper = os.path.join(bindir, "cargo-synclint")
    with open(wrapper, "w") as f:
        f.write(
            "#!/usr/bin/env python3\n"
            "import json, os, sys\n"
            f"with open({argv_log!r}, 'a') as f: f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
            f"os.execv({synclint_bin!r}, [{synclint_bin!r}] + sys.argv[1:])\n"
        )
    os.chmod(wrapper, 0o755)
    env = dict(os.environ)
    env["PATH"] = bindir + os.pathsep + env["PATH"]
    env["CARGO_TARGET_DIR"] = os.path.join(tmp, name + "-target")
    uri = "file://" + lib
    lsp = Lsp(proj, env)
    try:
        lsp.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": "file://" + proj,
                "capabilities": {
                    "textDocument": {"publishDiagnostics": {"relatedInformation": True}},
                    "window": {"workDoneProgress": True},
                    "experimental": {"serverStatusNotification": True},
                },
                "initializationOptions": dict(
                    settings, cachePriming={"enable": False}, checkOnSave=True
                ),
            },
            timeout=120,
        )
        lsp.notify("initialized", {})
        # Wait until the workspace is loaded (the server says it is quiescent).
        lsp.wait(
            lambda ns: any(
                m == "experimental/serverStatus" and p.get("quiescent") for m, p in ns
            ),
            180,
        )
        lsp.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": LIB_RS}},
        )
        lsp.notify("textDocument/didSave", {"textDocument": {"uri": uri}})

        def flycheck_diags(ns):
            out = []
            for m, p in ns:
                if m == "textDocument/publishDiagnostics" and p["uri"] == uri:
                    out = p["diagnostics"]  # the latest set for the file
            return out

        want_rustc = name == "keep-rustc"

        def done(ns):
            ds = flycheck_diags(ns)
            has_s = any(d.get("source") == "synclint" for d in ds)
            has_r = any(d.get("source") == "rustc" and d.get("code") == "E0308" for d in ds)
            return has_s and (has_r or not want_rustc)

        lsp.wait(done, 180)
        # Let a late publish land (both commands' output comes in one run).
        time.sleep(1)
        with lsp.cond:
            diags = flycheck_diags(lsp.notes)
    finally:
        lsp.close()
    argvs = []
    if os.path.exists(argv_log):
        argvs = [json.loads(l) for l in open(argv_log)]
    return diags, argvs


def main():
    synclint_bin = os.path.abspath(sys.argv[1])
    if shutil.which("rust-analyzer") is None:
        sys.exit("rust-analyzer is not on PATH (rustup component add rust-analyzer)")
    scratch = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    if scratch:
        os.makedirs(scratch, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="ra-recipe-", dir=scratch)
    failures = []
    try:
        for name, settings in RECIPES.items():
            diags, argvs = run_recipe(name, settings, synclint_bin, tmp)
            print(f"== recipe {name}: {json.dumps(settings)}")
            for a in argvs:
                print("   rust-analyzer ran: cargo-synclint " + " ".join(a))
            for d in diags:
                line = d["range"]["start"]["line"] + 1
                msg = d["message"].splitlines()[0]
                print(f"   {d.get('source')}[{d.get('code')}] line {line}: {msg}")
            synclint = [d for d in diags if d.get("source") == "synclint"]
            rustc = [d for d in diags if d.get("source") == "rustc" and d.get("code") == "E0308"]
            if not any(d.get("code") == "non_idempotent_close" for d in synclint):
                failures.append(f"{name}: no synclint diagnostic with source 'synclint'")
            if any(d.get("source") == "rustc" and d.get("code", "").startswith("synclint") for d in diags):
                failures.append(f"{name}: a synclint finding shows as rustc")
            if name == "keep-rustc" and not rustc:
                failures.append(f"{name}: rustc's own error (E0308) is not shown")
            if name == "check.command" and not argvs:
                failures.append(f"{name}: rust-analyzer did not run cargo-synclint")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    if failures:
        sys.exit(1)
    print("rust-analyzer: both recipes show synclint's findings as 'synclint'; the second keeps rustc's errors")


if __name__ == "__main__":
    main()
