package io.jsteer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Resident memory of a process, from Linux's {@code /proc/PID/status}: {@code VmRSS} (now) and
 * {@code VmHWM} (the peak). Mapped weight files count once their pages have been read, as they
 * do for llama.cpp's mmap; a JVM's figure includes the JVM itself (heap, code cache).
 *
 * @param rssBytes  resident now
 * @param peakBytes peak resident since the process started
 */
public record ProcessMemory(long rssBytes, long peakBytes) {

    /** This JVM. */
    public static ProcessMemory self() {
        return of(ProcessHandle.current().pid())
                .orElseThrow(() -> new IllegalStateException("/proc/self/status has no VmRSS/VmHWM (resident memory is read on Linux only)"));
    }

    /** Process {@code pid}, or empty when it has exited (or this is not Linux). */
    public static java.util.Optional<ProcessMemory> of(long pid) {
        String status;
        try {
            status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
        return parse(status);
    }

    /** The VmRSS and VmHWM lines of a {@code /proc/PID/status} text (kB), empty when either is missing. */
    static java.util.Optional<ProcessMemory> parse(String status) {
        OptionalLong rss = field(status, "VmRSS:"), hwm = field(status, "VmHWM:");
        if (rss.isEmpty() || hwm.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new ProcessMemory(rss.getAsLong() * 1024, hwm.getAsLong() * 1024));
    }

    private static OptionalLong field(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key)) {
                String[] parts = line.substring(key.length()).trim().split("\\s+");
                if (parts.length == 2 && parts[1].equals("kB")) {
                    try {
                        return OptionalLong.of(Long.parseLong(parts[0]));
                    } catch (NumberFormatException e) {
                        return OptionalLong.empty();
                    }
                }
            }
        }
        return OptionalLong.empty();
    }

    /**
     * Watches a child process until it exits and returns the largest peak it reported: the kernel
     * forgets VmHWM at exit, so it is sampled every {@code periodMillis}; a run shorter than one
     * period reports what was seen (possibly nothing: empty).
     */
    public static OptionalLong peakOf(Process p, long periodMillis) throws InterruptedException {
        long peak = -1;
        while (p.isAlive()) {
            var m = of(p.pid());
            if (m.isPresent()) {
                peak = Math.max(peak, m.get().peakBytes());
            }
            p.waitFor(periodMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        return peak < 0 ? OptionalLong.empty() : OptionalLong.of(peak);
    }

    public double rssMiB() {
        return rssBytes / 1048576.0;
    }

    public double peakMiB() {
        return peakBytes / 1048576.0;
    }
}
