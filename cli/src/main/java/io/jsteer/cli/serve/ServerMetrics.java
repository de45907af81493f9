package io.jsteer.cli.serve;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters for {@code GET /metrics}, written in Prometheus' text format (version 0.0.4). */
final class ServerMetrics {

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder generationNanos = new LongAdder();
    private final LongAdder steeredRequests = new LongAdder();
    private final LongAdder refusedBusy = new LongAdder();
    private final LongAdder clientsGone = new LongAdder();

    /** One request answered, by endpoint and status (e.g. {@code /v1/completions}, 200). */
    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
        if (status == 503) {
            refusedBusy.increment();
        }
    }

    void completion(int prompt, int generated, long nanos, boolean steered) {
        promptTokens.add(prompt);
        completionTokens.add(generated);
        generationNanos.add(nanos);
        if (steered) {
            steeredRequests.increment();
        }
    }

    void clientGone() {
        clientsGone.increment();
    }

    /** @param openConnections client connections open now (idle keep-alive ones included) */
    String render(GenerationService service, int openConnections) {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP jsteer_requests_total HTTP requests answered, by endpoint and status.\n");
        sb.append("# TYPE jsteer_requests_total counter\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] k = e.getKey().split("\u0000");
            sb.append("jsteer_requests_total{endpoint=\"").append(k[0]).append("\",status=\"").append(k[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        });
        counter(sb, "jsteer_prompt_tokens_total", "Prompt tokens of completed requests.", promptTokens.sum());
        counter(sb, "jsteer_completion_tokens_total", "Tokens generated for completed requests.", completionTokens.sum());
        double seconds = generationNanos.sum() / 1e9;
        counter(sb, "jsteer_generation_seconds_total", "Time spent on completed requests (prefill and decode).", seconds);
        gauge(sb, "jsteer_tokens_per_second", "Generated tokens per second of request time, over all completed requests.",
                seconds == 0 ? 0 : completionTokens.sum() / seconds);
        counter(sb, "jsteer_steered_requests_total", "Completed requests that had steering applied.", steeredRequests.sum());
        counter(sb, "jsteer_busy_refusals_total", "Requests refused with 503 because the queue was full.", refusedBusy.sum());
        counter(sb, "jsteer_client_disconnects_total", "Requests whose client went away before the end (generation stopped).",
                clientsGone.sum());
        gauge(sb, "jsteer_queue_length", "Requests waiting for a slot.", service.waiting());
        gauge(sb, "jsteer_busy_slots", "Slots generating now.", service.busy());
        gauge(sb, "jsteer_slots", "Slots (--parallel).", service.slots());
        gauge(sb, "jsteer_open_connections", "Client connections open now, idle keep-alive ones included.", openConnections);
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, double value) {
        metric(sb, name, help, "counter", value);
    }

    private static void gauge(StringBuilder sb, String name, String help, double value) {
        metric(sb, name, help, "gauge", value);
    }

    private static void metric(StringBuilder sb, String name, String help, String type, double value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        sb.append(name).append(' ').append(value == Math.rint(value) ? String.valueOf((long) value)
                : String.format(Locale.ROOT, "%.6g", value)).append('\n');
    }
}
