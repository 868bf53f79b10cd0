package dev.hotpatch.bench.fleet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --name=value} options of a fleet benchmark, each with a default, and the stores to run
 * on ({@code --store=sqlite|postgresql|all}). Unknown options are refused with the list of known
 * ones. Not thread-safe.
 */
final class Options {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> defaults;

    private Options(Map<String, String> defaults) {
        this.defaults = defaults;
    }

    /** Parses {@code args} against {@code defaults} (name → default value, in help order). */
    static Options parse(String[] args, Map<String, String> defaults) {
        Options o = new Options(defaults);
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) {
                throw new IllegalArgumentException("expected --name=value, got '" + a + "' (" + o.help() + ")");
            }
            String name = a.substring(2, a.indexOf('='));
            if (!defaults.containsKey(name)) {
                throw new IllegalArgumentException("unknown option --" + name + " (" + o.help() + ")");
            }
            o.values.put(name, a.substring(a.indexOf('=') + 1));
        }
        return o;
    }

    String get(String name) {
        return values.getOrDefault(name, defaults.get(name));
    }

    int integer(String name) {
        try {
            int v = Integer.parseInt(get(name));
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " takes a positive whole number, not '" + get(name) + "'");
        }
    }

    boolean flag(String name) {
        return Boolean.parseBoolean(get(name));
    }

    List<FleetServer.Store> stores() {
        List<FleetServer.Store> out = new ArrayList<>();
        switch (get("store")) {
            case "sqlite" -> out.add(FleetServer.Store.SQLITE);
            case "postgresql" -> out.add(FleetServer.Store.POSTGRESQL);
            case "all" -> out.addAll(List.of(FleetServer.Store.SQLITE, FleetServer.Store.POSTGRESQL));
            default -> throw new IllegalArgumentException("--store takes sqlite, postgresql or all, not " + get("store"));
        }
        return out;
    }

    /** All options with their values, for the report header. */
    String summary() {
        StringBuilder b = new StringBuilder();
        for (String k : defaults.keySet()) {
            b.append(b.length() == 0 ? "" : " ").append("--").append(k).append('=').append(get(k));
        }
        return b.toString();
    }

    private String help() {
        StringBuilder b = new StringBuilder("options:");
        defaults.forEach((k, v) -> b.append(" --").append(k).append('=').append(v));
        return b.toString();
    }
}
