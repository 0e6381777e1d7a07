//! The value queue's signalling: an insert vs the driver parking, and a
//! value expiring vs `recv_async` registering its waker. A lost wake-up
//! shows as a loom deadlock.

use loom::thread;
use schedgroup::Queue;

use crate::{block_on, check, past};

/// The driver may be parked (with nothing pending: forever) when another
/// thread inserts a value that is already due; a receiver blocked in
/// `recv` gets it, exactly once.
#[test]
fn queue_insert_vs_driver_park() {
    check("queue_insert_vs_driver_park", || {
        let queue: Queue<u32> = Queue::new();
        let inserter = {
            let queue = queue.clone();
            thread::spawn(move || {
                queue.insert_at(7, past());
            })
        };
        assert_eq!(queue.recv(), 7);
        inserter.join().unwrap();
        assert_eq!(queue.try_recv(), None);
    });
}

/// A due value moved to the receivers by the driver while a `recv_async`
/// future registers its waker: the future is woken and gets the value.
#[test]
fn queue_expiry_vs_recv_async() {
    check("queue_expiry_vs_recv_async", || {
        let queue: Queue<u32> = Queue::new();
        let inserter = {
            let queue = queue.clone();
            thread::spawn(move || {
                queue.insert_at(9, past());
            })
        };
        assert_eq!(block_on(queue.recv_async()), 9);
        inserter.join().unwrap();
    });
}
