package dev.hotpatch.bench;

/** A program that exits at once: what JVM start-up costs, with and without an agent. */
public final class Trivial {
    private Trivial() {
    }

    public static void main(String[] args) {
        // Nothing: the measured time is the JVM's start-up and shut-down alone.
    }
}
