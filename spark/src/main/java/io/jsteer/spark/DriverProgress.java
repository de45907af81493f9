package io.jsteer.spark;

import java.io.PrintStream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Progress of a job on the driver's stderr: tasks done / total and an ETA from the mean time per
 * finished task so far, at most one line a second (and the last). Registered for one job.
 */
final class DriverProgress extends SparkListener {

    private final String name;
    private final PrintStream err;
    private final long start = System.nanoTime();
    private int total, done, failed;
    private long lastPrint;

    DriverProgress(String name, PrintStream err) {
        this.name = name;
        this.err = err;
    }

    @Override
    public synchronized void onStageSubmitted(SparkListenerStageSubmitted stage) {
        total += stage.stageInfo().numTasks();
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd task) {
        if (task.taskInfo().successful()) {
            done++;
        } else {
            failed++;
        }
        long now = System.nanoTime();
        if (now - lastPrint < 1_000_000_000L && done < total) {
            return;
        }
        lastPrint = now;
        double elapsed = (now - start) / 1e9;
        String eta = done == 0 || done >= total ? "" : String.format(", ETA %.0f s", elapsed / done * (total - done));
        err.printf("jsteer spark %s: %d/%d tasks done%s%s (%.0f s)%n", name, done, total, failed == 0 ? "" : ", " + failed + " failed",
                eta, elapsed);
    }
}
