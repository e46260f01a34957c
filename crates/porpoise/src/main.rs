//! The `porpoise` binary; see the library for what it runs.

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    porpoise::run(std::env::args().skip(1).collect())
}

/// glibc's malloc hands large freed blocks back to the kernel at once (blocks above the mmap
/// threshold, and the heap top beyond 128 KiB), so a server that decodes, converts and copies
/// 100 MB uploads pays for fresh zeroed pages on every request: page faults were 40% of the
/// server's time ingesting 1M-row tables. Keeping freed memory for reuse avoids that; the
/// peak (VmHWM) is unchanged, only the return of memory after a peak is deferred.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
