//! A file written on a second thread: the importer's thread fills buffers and hands them over,
//! and the writing thread makes the `write` calls (the kernel's copy into the page cache). For an
//! output that will be synced, a third thread ([`Syncer`]) has the disk write what is there so
//! far while the import goes on, so that the final sync finds little left to do.
//!
//! Memory stays bounded: at most [`IN_FLIGHT`] full buffers wait for the writing thread, which
//! sends each back once written; a buffer holds one hand-over of the archive writer (1 MiB and
//! the record that crossed it), or [`CHUNK`] bytes of smaller writes.
//!
//! An abandoned output (dropped without `finish`: an error, Ctrl-C) stops at once: buffers still
//! queued are not written and no further sync starts. Only a sync already in progress is waited
//! for, as the system gives no way to interrupt one; progressive syncs are kept short for that
//! reason, and stop for the rest of the file once one of them shows a disk slower than
//! [`SLOW_SYNC`] allows.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes gathered before a buffer is handed to the writing thread.
pub const CHUNK: usize = 1 << 20;

/// The capacity of a fresh buffer: a chunk, and room for the record that crosses it.
const BUFFER: usize = CHUNK + (64 << 10);

/// Buffers that may wait for the writing thread before the importer's thread waits in turn.
pub const IN_FLIGHT: usize = 4;

/// Bytes written between two requests that the disk catch up, for a file that will be synced.
pub const SYNC_EVERY: u64 = 16 << 20;

/// Whether outputs are synced as they are written. Only on Linux, where `fdatasync` writes the
/// file's data and no more; elsewhere (macOS's full sync flushes the whole drive's cache) the
/// output is synced once, at the end.
pub const PROGRESSIVE: bool = cfg!(target_os = "linux");

/// A progressive sync that takes longer than this shows a disk slower than the import (here
/// below about 64 MB/s): the syncs stop for the rest of the file, which the final sync writes,
/// so that an abandoned import is never held up long by a sync it no longer needs.
const SLOW_SYNC: Duration = Duration::from_millis(250);

/// A [`Write`] to a file, whose writing happens on a thread of its own.
///
/// Errors of the writing thread (and of its syncs) come back on a later `write` or `flush`, and
/// from [`BackgroundFile::finish`], which waits for every byte to be written. Dropped without
/// `finish`, it drops the buffers not yet written and waits for the thread, so that the file is
/// closed when the drop returns (the caller may be about to remove it).
pub struct BackgroundFile {
    /// The buffer being filled.
    current: Vec<u8>,
    /// Full buffers to the writing thread; `None` once closed.
    to_writer: Option<SyncSender<Vec<u8>>>,
    /// Written buffers back from the writing thread, for reuse.
    spare: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<io::Result<Written>>>,
    /// Set when the output is abandoned: the writing thread then stops.
    abandoned: Arc<AtomicBool>,
}

/// What [`BackgroundFile::finish`] returns: the file, all written, and the thread syncing it
/// (still running, for the caller to finish once it has done its own work).
pub struct Written {
    /// The file, every byte written.
    pub file: File,
    /// The progressive syncs' thread, when the file is synced as it is written.
    pub syncer: Option<Syncer>,
}

impl BackgroundFile {
    /// Starts writing to `file` on a new thread. With `sync` true (and [`PROGRESSIVE`]), a
    /// [`Syncer`] also has the file's data written to disk every [`SYNC_EVERY`] bytes, or as
    /// often as the disk allows, for a file that will be synced once complete.
    pub fn new(file: File, sync: bool) -> io::Result<Self> {
        let (to_writer, from_importer) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back, spare) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let syncer = if sync && PROGRESSIVE {
            Some(Syncer::new(&file)?)
        } else {
            None
        };
        let abandoned = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&abandoned);
        let thread = std::thread::Builder::new()
            .name("chatport-write".into())
            .spawn(move || {
                let mut file = file;
                let (mut written, mut kicked) = (0u64, 0u64);
                for mut buf in from_importer {
                    if stop.load(Ordering::Relaxed) {
                        // Abandoned: what is still queued is not wanted.
                        break;
                    }
                    file.write_all(&buf)?;
                    written += buf.len() as u64;
                    // The first request comes early, as a probe: on a slow disk the syncs stop
                    // after a short one (see `SLOW_SYNC`).
                    let every = if kicked == 0 {
                        SYNC_EVERY / 4
                    } else {
                        SYNC_EVERY
                    };
                    if let Some(s) = &syncer
                        && written - kicked >= every
                        && !stop.load(Ordering::Relaxed)
                    {
                        // A failed sync ends the writing now rather than at the end.
                        if s.failed() {
                            break;
                        }
                        s.kick();
                        kicked = written;
                    }
                    buf.clear();
                    // Over-grown buffers (a record of many MiB) are let go, not kept.
                    if buf.capacity() <= BUFFER {
                        // The importer may have stopped taking buffers back: then this one goes.
                        let _ = back.try_send(buf);
                    }
                }
                match syncer {
                    Some(s) if s.failed() => s.finish().map(|()| Written { file, syncer: None }),
                    syncer => Ok(Written { file, syncer }),
                }
            })?;
        Ok(BackgroundFile {
            current: Vec::with_capacity(BUFFER),
            to_writer: Some(to_writer),
            spare,
            thread: Some(thread),
            abandoned,
        })
    }

    /// Hands the current buffer to the writing thread, and takes a spare one in its place.
    fn hand_over(&mut self) -> io::Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        let next = match self.spare.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(BUFFER),
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

    /// Closes the channel and waits for the writing thread; returns what it wrote, or its first
    /// error. A second call reports that the file is closed.
    fn close(&mut self) -> io::Result<Written> {
        self.to_writer = None;
        match self.thread.take() {
            Some(t) => join(t, "the writing thread"),
            None => Err(io::Error::other("the output was already closed")),
        }
    }

    /// Writes what is still buffered, waits until every byte is written, and returns the file
    /// with the thread syncing it, if any: its syncs may still be running.
    pub fn finish(mut self) -> io::Result<Written> {
        self.hand_over()?;
        self.close()
    }
}

impl Write for BackgroundFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A write that would overflow the buffer goes after a hand-over, into a fresh buffer
        // (the archive writer hands over a little more than 1 MiB at a time).
        if !self.current.is_empty() && self.current.len() + buf.len() > self.current.capacity() {
            self.hand_over()?;
        }
        append(&mut self.current, buf);
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

/// Appends `buf` to `current`, growing it (when it must) to just what it needs rather than to
/// twice its size as `Vec` would.
fn append(current: &mut Vec<u8>, buf: &[u8]) {
    current.reserve_exact(buf.len());
    current.extend_from_slice(buf);
}

impl Drop for BackgroundFile {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.abandoned.store(true, Ordering::Relaxed);
            // The thread's syncer, dropped with it, starts no further sync.
            let _ = self.close();
        }
    }
}

/// Waits for thread `t`, and returns its outcome; `what` names it in the error if it panicked.
fn join<T>(t: JoinHandle<io::Result<T>>, what: &str) -> io::Result<T> {
    t.join()
        .map_err(|_| io::Error::other(format!("{what} panicked")))?
}

/// A thread that writes a file's data to disk ([`File::sync_data`]) when asked, so that the
/// disk works while the caller goes on (writing more, copying, validating) and the final sync
/// finds little left to do. Requests made while a sync runs fold into one. Once a sync takes
/// longer than [`SLOW_SYNC`], requests are ignored (the disk is slower than the import).
pub struct Syncer {
    kick: Option<SyncSender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
    /// Set on drop (the file is abandoned): no further sync starts.
    stop: Arc<AtomicBool>,
    /// Set when a sync failed: the error comes from [`Syncer::finish`].
    failed: Arc<AtomicBool>,
}

impl Syncer {
    /// Starts the thread, with its own handle to `file` (the caller may close `file`).
    pub fn new(file: &File) -> io::Result<Self> {
        let f = file.try_clone()?;
        let (kick, kicked) = sync_channel::<()>(1);
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let (stop_seen, failed_set) = (Arc::clone(&stop), Arc::clone(&failed));
        let thread = std::thread::Builder::new()
            .name("chatport-sync".into())
            .spawn(move || {
                for () in kicked {
                    if stop_seen.load(Ordering::Relaxed) {
                        break;
                    }
                    let started = Instant::now();
                    if let Err(e) = f.sync_data() {
                        failed_set.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                    if started.elapsed() > SLOW_SYNC {
                        break;
                    }
                }
                Ok(())
            })?;
        Ok(Syncer {
            kick: Some(kick),
            thread: Some(thread),
            stop,
            failed,
        })
    }

    /// Asks for the data written so far to go to disk; returns at once.
    pub fn kick(&self) {
        if let Some(k) = &self.kick {
            // Full: a request is already waiting, and it covers this one. Disconnected: the
            // syncs stopped (a slow disk, or an error that `finish` reports).
            let _ = k.try_send(());
        }
    }

    /// True once a sync failed.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// A syncer that has `file`'s data written to disk while the caller goes on (validating what
    /// it wrote), for the last time: `s` when it still runs, else a new one, which a slow disk
    /// does not stop since it is asked only once. The error `s` stopped on, if any, comes back.
    pub fn last_sync(s: Option<Syncer>, file: &File) -> io::Result<Syncer> {
        let s = match s {
            Some(s) if s.thread.as_ref().is_some_and(|t| !t.is_finished()) => s,
            stopped => {
                if let Some(s) = stopped {
                    s.finish()?;
                }
                Syncer::new(file)?
            }
        };
        s.kick();
        Ok(s)
    }

    /// Waits for the syncs asked for, and returns the first error. The caller still syncs the
    /// file itself at the end (this syncs data, not the file's size and metadata).
    pub fn finish(mut self) -> io::Result<()> {
        self.kick = None;
        match self.thread.take() {
            Some(t) => join(t, "the syncing thread"),
            None => Ok(()),
        }
    }
}

impl Drop for Syncer {
    /// Abandons the syncs: a request still waiting is dropped, and only a sync in progress is
    /// waited for (so that the file is closed when the drop returns).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.kick = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A thread that syncs whole files handed to it, one after another, and closes them: for media
/// copied into a bundle's folder, which must be on disk before the bundle is renamed into place.
/// Only with [`PROGRESSIVE`] (elsewhere a sync per file would flush the whole drive each time);
/// otherwise the files are closed unsynced.
pub struct FileSyncer {
    files: Option<SyncSender<File>>,
    thread: Option<JoinHandle<io::Result<()>>>,
    /// Set on drop (the output is abandoned): the files still waiting are closed unsynced.
    stop: Arc<AtomicBool>,
}

/// Files that may wait for [`FileSyncer`] before the caller waits in turn.
const FILES_WAITING: usize = 64;

impl FileSyncer {
    /// Starts the thread.
    pub fn new() -> io::Result<Self> {
        let (files, waiting) = sync_channel::<File>(FILES_WAITING);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_seen = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("chatport-sync-files".into())
            .spawn(move || {
                for f in waiting {
                    if PROGRESSIVE && !stop_seen.load(Ordering::Relaxed) {
                        f.sync_all()?;
                    }
                }
                Ok(())
            })?;
        Ok(FileSyncer {
            files: Some(files),
            thread: Some(thread),
            stop,
        })
    }

    /// Hands `file` (all written) over to be synced and closed. When the thread stopped on an
    /// error, returns that error.
    pub fn sync(&mut self, file: File) -> io::Result<()> {
        let sent = self.files.as_ref().is_some_and(|tx| tx.send(file).is_ok());
        if sent {
            Ok(())
        } else {
            Err(self
                .join()
                .err()
                .unwrap_or_else(|| io::Error::other("the thread syncing the media stopped early")))
        }
    }

    fn join(&mut self) -> io::Result<()> {
        self.files = None;
        match self.thread.take() {
            Some(t) => join(t, "the thread syncing the media"),
            None => Ok(()),
        }
    }

    /// Waits until every file handed over is synced; the first error, if any.
    pub fn finish(mut self) -> io::Result<()> {
        self.join()
    }
}

impl Drop for FileSyncer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.join();
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
            let written = w.finish().unwrap();
            assert_eq!(written.syncer.is_some(), sync && PROGRESSIVE);
            if let Some(s) = written.syncer {
                s.finish().unwrap();
            }
            drop(written.file);
            assert_eq!(read(&p), expected);
        }
    }

    #[test]
    fn a_buffer_grows_to_what_one_write_needs_not_to_twice_its_size() {
        let mut v = Vec::with_capacity(BUFFER);
        append(&mut v, &[1; 100]);
        assert_eq!(v.capacity(), BUFFER);
        let mut v = Vec::with_capacity(BUFFER);
        append(&mut v, &vec![2; BUFFER + 1]);
        assert!(v.capacity() < BUFFER + 4096, "{}", v.capacity());
    }

    #[test]
    fn dropped_unfinished_it_has_closed_the_file_and_written_no_more_than_it_was_given() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        let mut w = BackgroundFile::new(File::create(&p).unwrap(), true).unwrap();
        for _ in 0..8 {
            w.write_all(&vec![b'a'; CHUNK]).unwrap();
        }
        w.write_all(b"tail").unwrap();
        drop(w);
        // Buffers still queued at the drop may or may not have been written, whole; the tail,
        // never handed over, was not (a drop that wrote it would leave 4 bytes more).
        let len = read(&p).len();
        assert!(len <= 8 * CHUNK && len.is_multiple_of(CHUNK), "{len}");
        std::fs::remove_file(&p).unwrap();
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
        assert!(!syncer.failed());
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
    fn the_last_sync_replaces_a_syncer_that_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = File::create(dir.path().join("out")).unwrap();
        f.write_all(&[7; 4096]).unwrap();
        // A syncer whose thread ended (as after a slow sync): its requests would go nowhere.
        let mut stopped = Syncer::new(&f).unwrap();
        stopped.kick = None;
        while !stopped.thread.as_ref().unwrap().is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let last = Syncer::last_sync(Some(stopped), &f).unwrap();
        // A new thread, waiting for requests until finished.
        assert!(!last.thread.as_ref().unwrap().is_finished());
        last.finish().unwrap();
        // One still running is kept and asked once more.
        let running = Syncer::new(&f).unwrap();
        Syncer::last_sync(Some(running), &f)
            .unwrap()
            .finish()
            .unwrap();
        Syncer::last_sync(None, &f).unwrap().finish().unwrap();
    }

    #[test]
    fn a_file_syncer_takes_more_files_than_it_queues_and_finishes() {
        // (Whether a file reached the disk cannot be seen from here: this checks that the
        // caller never waits for good, and that every file is still whole.)
        let dir = tempfile::tempdir().unwrap();
        let mut s = FileSyncer::new().unwrap();
        for i in 0..(FILES_WAITING + 10) {
            let p = dir.path().join(format!("m{i}"));
            let mut f = File::create(&p).unwrap();
            f.write_all(&[i as u8; 100]).unwrap();
            s.sync(f).unwrap();
        }
        s.finish().unwrap();
        for i in 0..(FILES_WAITING + 10) {
            assert_eq!(read(&dir.path().join(format!("m{i}"))), vec![i as u8; 100]);
        }
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
            None => w.finish().err().expect("writes to /dev/full must fail"),
        };
        assert_eq!(e.raw_os_error(), Some(28), "{e}"); // ENOSPC
    }
}
