//! A task that waits for its own group while the last other pending task
//! is canceled from another thread: the waiting task's `wait()` returns
//! (a lost wake-up shows as a loom deadlock), with `Ok`.

use loom::thread;
use schedgroup::Error;

use crate::{check, group, past, FAR};

#[test]
fn in_task_wait_vs_cancel_of_the_last_pending_task() {
    check("in_task_wait_vs_cancel_of_the_last_pending_task", || {
        let group = group();
        let far = group.delay(FAR, || {});
        let (report, outcome) = loom::sync::mpsc::channel::<Result<(), Error>>();
        let inner = group.clone();
        group.schedule(past(), move || report.send(inner.wait()).unwrap());
        let canceler = thread::spawn(move || assert!(far.cancel()));
        assert_eq!(outcome.recv().unwrap(), Ok(()));
        canceler.join().unwrap();
        assert_eq!(group.wait(), Ok(()));
    });
}
