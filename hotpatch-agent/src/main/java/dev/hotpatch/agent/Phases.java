package dev.hotpatch.agent;

/**
 * Where the time of one apply went: the microseconds of each named step in order, as
 * {@code name=µs,name=µs}, sent in the reply so that a benchmark can say which step costs what
 * inside the agent instead of re-enacting the steps elsewhere. Not thread-safe: one per request.
 */
final class Phases {
    private final StringBuilder text = new StringBuilder();
    private long last;

    Phases(long startNanos) {
        this.last = startNanos;
    }

    /** Ends the step {@code name}, which ran since the previous step ended (or since the start). */
    void end(String name) {
        long now = System.nanoTime();
        text.append(text.length() == 0 ? "" : ",").append(name).append('=').append((now - last) / 1000);
        last = now;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
