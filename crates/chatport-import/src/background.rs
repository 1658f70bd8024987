//! A file written on a second thread: the importer's thread fills buffers and hands them over,
//! and the writing thread makes the `write` calls (the kernel's copy into the page cache) and,
//! for an output that will be synced, asks the disk to start on what it has so far.
//!
//! The importer's thread then spends its time converting messages, not in the kernel, and the
//! final `fsync` finds most of the file already on disk. Memory stays bounded: at most
//! [`IN_FLIGHT`] buffers of [`CHUNK`] bytes wait for the writing thread, which sends each back
//! once written.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

/// Bytes gathered before a buffer is handed to the writing thread.
pub const CHUNK: usize = 1 << 20;

/// Buffers that may wait for the writing thread before the importer's thread waits in turn.
pub const IN_FLIGHT: usize = 4;

/// Bytes written between two requests that the disk catch up, for a file that will be synced.
pub const SYNC_EVERY: u64 = 16 << 20;

/// A [`Write`] to a file, whose writing happens on a thread of its own.
///
/// Errors of the writing thread come back on a later `write` or `flush`, and from
/// [`BackgroundFile::finish`], which waits for every byte to be written. Dropped without
/// `finish`, it still waits for the thread, so that the file is closed when the drop returns
/// (the caller may be about to remove it), and drops what it did not write yet.
pub struct BackgroundFile {
    /// The buffer being filled.
    current: Vec<u8>,
    /// Full buffers to the writing thread; `None` once closed.
    to_writer: Option<SyncSender<Vec<u8>>>,
    /// Written buffers back from the writing thread, for reuse.
    spare: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<io::Result<File>>>,
}

impl BackgroundFile {
    /// Starts writing to `file` on a new thread. With `sync` true, a third thread also has the
    /// file's data written to disk as it goes ([`File::sync_data`] every [`SYNC_EVERY`] bytes,
    /// or as often as the disk allows), for a file that will be synced once complete: the final
    /// sync then waits only for the last part, and the writing never waits for the disk.
    pub fn new(file: File, sync: bool) -> io::Result<Self> {
        let (to_writer, from_importer) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back, spare) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let syncer = if sync {
            Some(Syncer::new(&file)?)
        } else {
            None
        };
        let thread = std::thread::Builder::new()
            .name("chatport-write".into())
            .spawn(move || {
                let mut file = file;
                let (mut written, mut kicked) = (0u64, 0u64);
                let mut outcome = Ok(());
                for mut buf in from_importer {
                    if let Err(e) = file.write_all(&buf) {
                        outcome = Err(e);
                        break;
                    }
                    written += buf.len() as u64;
                    if let Some(syncer) = &syncer
                        && written - kicked >= SYNC_EVERY
                    {
                        syncer.kick();
                        kicked = written;
                    }
                    buf.clear();
                    // The importer may have stopped taking buffers back: then this one goes.
                    let _ = back.try_send(buf);
                }
                if let Some(syncer) = syncer {
                    outcome = outcome.and(syncer.finish());
                }
                outcome.map(|()| file)
            })?;
        Ok(BackgroundFile {
            current: Vec::with_capacity(CHUNK),
            to_writer: Some(to_writer),
            spare,
            thread: Some(thread),
        })
    }

    /// Hands the current buffer to the writing thread, and takes a spare one in its place.
    fn hand_over(&mut self) -> io::Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        let next = match self.spare.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(CHUNK),
        };
        let full = std::mem::replace(&mut self.current, next);
        let sent = match &self.to_writer {
            Some(tx) => tx.send(full).is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            // The thread ended early: only an error ends it before the file is finished.
            Err(self.close().err().unwrap_or_else(|| {
                io::Error::other("the writing thread stopped before the output was complete")
            }))
        }
    }

    /// Closes the channel and waits for the writing thread; returns the file, or the thread's
    /// first error. A second call reports that the file is closed.
    fn close(&mut self) -> io::Result<File> {
        self.to_writer = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| io::Error::other("the writing thread panicked"))?,
            None => Err(io::Error::other("the output was already closed")),
        }
    }

    /// Writes what is still buffered, waits until every byte is written, and returns the file.
    pub fn finish(mut self) -> io::Result<File> {
        self.hand_over()?;
        self.close()
    }
}

impl Write for BackgroundFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.current.extend_from_slice(buf);
        if self.current.len() >= CHUNK {
            self.hand_over()?;
        }
        Ok(buf.len())
    }

    /// Hands what is buffered to the writing thread; it does not wait for the thread to write
    /// it ([`BackgroundFile::finish`] does).
    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()
    }
}

impl Drop for BackgroundFile {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.close();
        }
    }
}

/// A thread that writes a file's data to disk ([`File::sync_data`]) when asked, so that the
/// disk works while the caller goes on (writing more, copying, validating) and the final sync
/// finds little left to do. Requests made while a sync runs fold into one.
pub struct Syncer {
    kick: Option<SyncSender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Syncer {
    /// Starts the thread, with its own handle to `file` (the caller may close `file`).
    pub fn new(file: &File) -> io::Result<Self> {
        let f = file.try_clone()?;
        let (kick, kicked) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("chatport-sync".into())
            .spawn(move || kicked.iter().try_for_each(|()| f.sync_data()))?;
        Ok(Syncer {
            kick: Some(kick),
            thread: Some(thread),
        })
    }

    /// Asks for the data written so far to go to disk; returns at once.
    pub fn kick(&self) {
        if let Some(k) = &self.kick {
            // Full: a request is already waiting, and it will cover this one.
            let _ = k.try_send(());
        }
    }

    /// Waits for the syncs asked for, and returns the first error. The caller still syncs the
    /// file itself at the end (this syncs data, not the file's size and metadata).
    pub fn finish(mut self) -> io::Result<()> {
        self.kick = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| io::Error::other("the syncing thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.kick = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn read(p: &std::path::Path) -> Vec<u8> {
        let mut v = Vec::new();
        File::open(p).unwrap().read_to_end(&mut v).unwrap();
        v
    }

    #[test]
    fn writes_every_byte_in_order_whatever_the_write_sizes() {
        let dir = tempfile::tempdir().unwrap();
        for sync in [false, true] {
            let p = dir.path().join(format!("out-{sync}"));
            let mut w = BackgroundFile::new(File::create(&p).unwrap(), sync).unwrap();
            let mut expected = Vec::new();
            // Sizes below, at and above a chunk, so that buffers fill, overflow and recycle.
            let sizes = [1usize, 7, CHUNK - 3, 5, CHUNK, 2 * CHUNK + 11, 0, 4096];
            for (i, n) in sizes.iter().cycle().take(40).enumerate() {
                let part: Vec<u8> = (0..*n).map(|j| (i * 31 + j) as u8).collect();
                w.write_all(&part).unwrap();
                expected.extend_from_slice(&part);
            }
            w.finish().unwrap();
            assert_eq!(read(&p), expected);
        }
    }

    #[test]
    fn dropped_unfinished_it_has_closed_the_file_and_written_what_it_handed_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        let mut w = BackgroundFile::new(File::create(&p).unwrap(), false).unwrap();
        w.write_all(&vec![b'a'; CHUNK]).unwrap();
        w.write_all(b"tail").unwrap();
        drop(w);
        // The full chunk went to the thread; the tail was never handed over.
        assert_eq!(read(&p).len(), CHUNK);
    }

    #[test]
    fn a_syncer_takes_many_requests_and_finishes_once_they_are_done() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        let mut f = File::create(&p).unwrap();
        let syncer = Syncer::new(&f).unwrap();
        for i in 0..50u8 {
            f.write_all(&[i; 4096]).unwrap();
            syncer.kick();
        }
        syncer.finish().unwrap();
        // Its own handle: the file stays usable, and dropping an unfinished syncer returns.
        f.write_all(b"end").unwrap();
        let other = Syncer::new(&f).unwrap();
        other.kick();
        drop(other);
        drop(f);
        assert_eq!(read(&p).len(), 50 * 4096 + 3);
    }

    #[test]
    fn a_write_error_comes_back_to_the_writer() {
        // /dev/full takes the open and fails every write with ENOSPC.
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            eprintln!("no /dev/full on this system: test skipped");
            return;
        };
        let mut w = BackgroundFile::new(full, false).unwrap();
        let mut failed = None;
        for _ in 0..(IN_FLIGHT + 4) {
            if let Err(e) = w.write_all(&vec![0u8; CHUNK]) {
                failed = Some(e);
                break;
            }
        }
        let e = match failed {
            Some(e) => e,
            None => w.finish().expect_err("writes to /dev/full must fail"),
        };
        assert_eq!(e.raw_os_error(), Some(28), "{e}"); // ENOSPC
    }
}
