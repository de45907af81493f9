package io.jsteer.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.CapturePrompts;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.vectors.Extraction;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.tensor.Parallel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on 127.0.0.1, started from the jars of this build (no
 * download, no container): one master and two workers, each worker starting one executor JVM.
 * An extraction over the shared CAA dataset runs on it and must give the single-machine
 * vectors; each executor must have opened the model exactly once. Every process started here is
 * stopped at the end (executors first: they are the workers' children).
 */
class StandaloneClusterTest {

    @TempDir
    static Path home;

    static final List<Process> daemons = new ArrayList<>();
    static String masterUrl;

    @BeforeAll
    static void startCluster() throws Exception {
        // a SPARK_HOME as the worker's executor launcher expects (a jars/ folder); the executors get
        // this JVM's own class path instead through spark.executor.extraClassPath
        Files.createDirectories(home.resolve("jars"));
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        daemons.add(daemon("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--webui-port", Integer.toString(freePort())));
        waitForPort(port, 90);
        for (int w = 1; w <= 2; w++) {
            Path work = Files.createDirectories(home.resolve("work" + w));
            daemons.add(daemon("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                    "--memory", "1g", "--webui-port", Integer.toString(freePort()), "--work-dir", work.toString(), masterUrl));
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (Process p : daemons.reversed()) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : daemons) {
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
            }
        }
    }

    /** The JVM flags of this test JVM that Spark and jsteer need (module opens, the Vector API). */
    static List<String> jvmFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("--enable-native-access") || a.startsWith("--sun-misc")
                        || a.startsWith("-Dio.netty") || a.startsWith("-Xss"))
                .toList();
    }

    static Process daemon(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags());
        cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(home.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_LOCAL_IP", "127.0.0.1"); // every daemon and executor binds to the loopback interface only
        env.put("SPARK_LOG_DIR", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13"); // else the executor launcher looks for a Spark source build to learn it
        return pb.start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void waitForPort(int port, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(250);
            }
        }
        throw new AssertionError("the Spark master did not listen on port " + port + " within " + seconds + " s:\n" + logs());
    }

    static String logs() {
        try (Stream<Path> files = Files.walk(home)) {
            StringBuilder sb = new StringBuilder();
            for (Path f : files.filter(p -> p.toString().endsWith(".log") || p.getFileName().toString().equals("stderr")).toList()) {
                String text = Files.readString(f);
                sb.append("== ").append(f).append('\n').append(text, Math.max(0, text.length() - 3000), text.length()).append('\n');
            }
            return sb.toString();
        } catch (IOException e) {
            return "(logs unreadable: " + e + ")";
        }
    }

    @Test
    void extractionOnTwoExecutorsEqualsTheSingleMachine() throws Exception {
        Path bin = Shared.path("models/stories260K.bin"), tok = Shared.path("models/tok512.bin");
        ModelSpec spec = new ModelSpec(bin.toString(), tok.toString(), 512, 1);
        List<CapturePrompt> prompts;
        VectorSet expected;
        Extraction.Request r = new Extraction.Request(SiteKind.RESID_POST, List.of(0, 1, 2, 3, 4), PositionMode.AT,
                Extraction.Method.MEAN_DIFFERENCE, io.jsteer.steering.vectors.Magnitude.MEAN_DIFF_NORM,
                io.jsteer.steering.vectors.PairedPca.Centring.PAIR_CENTRED, io.jsteer.steering.vectors.LinearProbe.Options.defaults(), null, false);
        Provenance provenance = Provenance.of("stories260K", "", "", "AT answer letter", List.of());
        try (LoadedModel model = ModelLoader.load(bin, tok)) {
            var items = Datasets.abItems(Shared.path("data/caa/refusal_generate_dataset.json")).items().subList(0, 8);
            prompts = CapturePrompts.abItems(model.tokenizer(), items, CapturePrompts.PLAIN_AB_FORMAT);
            try (Parallel par = new Parallel(1); InferenceEngine engine = model.newCpuEngine(512, par)) {
                expected = Extraction.extract(engine, prompts, r, provenance);
            }
        }
        String flags = String.join(" ", jvmFlags());
        SparkConf conf = new SparkConf().setMaster(masterUrl).setAppName("jsteer-standalone-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.executor.cores", "1").set("spark.cores.max", "2").set("spark.executor.memory", "512m")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", flags)
                // start the job only when both executors are up, so both get tasks
                .set("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                .set("spark.scheduler.maxRegisteredResourcesWaitingTime", "180s");
        JavaSparkContext sc = null;
        try {
            sc = new JavaSparkContext(conf);
            VectorSet actual = SparkJobs.on(sc).extract(spec, prompts, r, provenance, 6);
            assertEquals(expected.vectors().keySet(), actual.vectors().keySet());
            for (int layer : expected.vectors().keySet()) {
                float[] e = expected.vector(layer), a = actual.vector(layer);
                double diff = 0, norm = 0;
                for (int i = 0; i < e.length; i++) {
                    diff += (e[i] - a[i]) * (double) (e[i] - a[i]);
                    norm += e[i] * (double) e[i];
                }
                assertTrue(norm > 0 && Math.sqrt(diff / norm) <= 1e-6, "layer " + layer + ": relative difference " + Math.sqrt(diff / norm));
            }
            // which executors ran tasks, and how often each opened the model
            List<Integer> slots = java.util.stream.IntStream.range(0, 8).boxed().toList();
            List<String> report = sc.parallelize(slots, 8)
                    .map(i -> SparkEnv.get().executorId() + "=" + ExecutorModels.loads() + "@" + ProcessHandle.current().pid())
                    .collect();
            TreeMap<String, String> byExecutor = new TreeMap<>();
            report.forEach(s -> byExecutor.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1)));
            assertEquals(2, byExecutor.size(), "two executors: " + report + "\n" + logs());
            byExecutor.values().forEach(v -> assertTrue(v.startsWith("1@"), "each executor opened the model once: " + byExecutor));
            long pid = ProcessHandle.current().pid();
            byExecutor.values().forEach(v -> assertTrue(!v.endsWith("@" + pid), "executors are other JVMs: " + byExecutor));

            // a model path the executors cannot open: one line naming the executor (another JVM: a number), its host and the path,
            // recovered from the task error that the cluster sends back as text
            String missing = home.resolve("no-such-model.gguf").toString();
            SparkJobs jobs = SparkJobs.on(sc);
            var s = new io.jsteer.steering.eval.Evaluation.Spec(List.of(), List.of("One day a bird sang."), List.of(), 0, 1, 0, 1);
            var failed = org.junit.jupiter.api.Assertions.assertThrows(SparkJobs.JobFailedException.class,
                    () -> jobs.eval(new ModelSpec(missing, null, 64, 1), s, null, null, 1));
            assertTrue(failed.getMessage().matches("spark eval failed: executor \\d+ on \\S+ cannot open the model "
                    + java.util.regex.Pattern.quote(missing) + " \\(every node must be able to read it at that path\\): .*"), failed.getMessage());
            assertTrue(!failed.getMessage().contains("\n"), "one line: " + failed.getMessage());
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + logs(), e);
        } finally {
            if (sc != null) {
                sc.stop();
            }
        }
    }
}
