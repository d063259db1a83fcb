//! Golden input: waits in the wrong places (warn-level lints).

use std::sync::mpsc::Receiver;
use std::sync::Mutex;

pub struct Worker {
    state: Mutex<Vec<u8>>,
    done: Receiver<()>,
}

impl Conn {
    fn join_reader(&self) {
        if let Some(h) = self.reader.lock().unwrap().take() {
            h.join().ok();
        }
    }
}

impl Worker {
    pub async fn finish(&self) {
        self.done.recv().ok();
    }

    pub fn flush(&self) {
        let guard = self.state.lock().unwrap();
        self.done.recv().ok();
        drop(guard);
    }

    pub fn push(&self, b: u8) {
        self.state.lock().unwrap().push(b);
    }
}
