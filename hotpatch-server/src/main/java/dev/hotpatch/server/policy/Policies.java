package dev.hotpatch.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Image;
import dev.hotpatch.server.machine.Machine;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Policies by scope and their inheritance: a machine's settings are its own (set on the server),
 * then what its node's config says (patch mode, time zone, ring tag), then its group's, its
 * image's, the fleet's, and the {@linkplain PolicySettings#DEFAULTS defaults}, field by field.
 * Settings of a rollout as a whole (approval, rings, error budget, availability rules) come from
 * the image, the fleet and the defaults. Thread-safe; everything is in the database.
 */
public final class Policies {
    public static final String FLEET = "fleet";
    public static final String IMAGE = "image";
    public static final String GROUP = "group";
    public static final String MACHINE = "machine";

    private final Database db;
    private final Clock clock;
    private final Catalog catalog;
    private final Machines machines;

    public Policies(Database db, Clock clock, Catalog catalog, Machines machines) {
        this.db = db;
        this.clock = clock;
        this.catalog = catalog;
        this.machines = machines;
    }

    /**
     * The settings stored at one scope.
     *
     * @param scope {@code fleet}, {@code image}, {@code group} or {@code machine}
     * @param ref   {@code *} for the fleet, the image or machine id, or the group name
     * @param name  what the scope is called: the image's publisher/offer/sku, the machine's name, the group's name
     */
    public record Scoped(String scope, String ref, String name, PolicySettings settings, Instant updatedAt, String updatedBy) {
    }

    /** Every stored policy, fleet first, then images, groups and machines by name. */
    public List<Scoped> list() {
        return db.read(h -> {
            List<Scoped> out = new ArrayList<>();
            for (Map<String, Object> row : h.createQuery("SELECT scope, ref, document, updated_at, updated_by FROM policies").mapToMap().list()) {
                String scope = (String) row.get("scope");
                String ref = (String) row.get("ref");
                out.add(new Scoped(scope, ref, displayName(h, scope, ref), Json.read((String) row.get("document"), PolicySettings.class),
                        Instant.ofEpochMilli(((Number) row.get("updated_at")).longValue()), (String) row.get("updated_by")));
            }
            List<String> order = List.of(FLEET, IMAGE, GROUP, MACHINE);
            out.sort((a, b) -> a.scope().equals(b.scope()) ? a.name().compareTo(b.name()) : order.indexOf(a.scope()) - order.indexOf(b.scope()));
            return out;
        });
    }

    /** The settings stored at a scope ({@code ref} as the caller names it: image reference, machine name or id, group name). */
    public Scoped get(String scope, String ref) {
        return db.read(h -> {
            Key k = key(h, scope, ref);
            return stored(h, k).orElse(new Scoped(k.scope, k.ref, k.name, PolicySettings.EMPTY, null, null));
        });
    }

    /**
     * Changes the settings at a scope: each field of {@code changes} present with a value is set,
     * present with JSON null is cleared (inherited again); absent fields keep their value. Refuses
     * automatic patching for a group or machine that uses uniform orchestration.
     */
    public Scoped patch(String scope, String ref, JsonNode changes, String actor) {
        if (changes == null || !changes.isObject()) {
            throw new ServerException.BadRequest("invalid-json", "a policy change is a JSON object of fields", "e.g. {\"patchMode\": \"AutomaticByPlatform\"}");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        List<String> known = PolicySettings.fields();
        for (Iterator<Map.Entry<String, JsonNode>> it = changes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!known.contains(e.getKey())) {
                throw new ServerException.BadRequest("invalid-policy", "'" + e.getKey() + "' is not a policy field",
                        "fields: " + String.join(", ", known));
            }
            values.put(e.getKey(), null);
        }
        PolicySettings given;
        try {
            given = Json.MAPPER.treeToValue(changes, PolicySettings.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ServerException.BadRequest("invalid-policy", "the policy change does not fit the fields' types: " + e.getOriginalMessage(),
                    "see GET /api/openapi.json (PolicySettings)");
        }
        for (String f : values.keySet()) {
            values.put(f, given.get(f));
        }
        return db.tx(h -> {
            Key k = key(h, scope, ref);
            PolicySettings current = stored(h, k).map(Scoped::settings).orElse(PolicySettings.EMPTY);
            PolicySettings next = current.with(values).validated();
            if (PolicySettings.AUTOMATIC.equals(next.patchMode()) && (k.scope.equals(GROUP) || k.scope.equals(MACHINE))) {
                refuseUniform(h, k);
            }
            if (k.scope.equals(IMAGE) || k.scope.equals(FLEET)) {
                scopeOnlyForMachines(k, next);
            }
            long now = clock.millis();
            String doc = Json.write(next);
            h.createUpdate("INSERT INTO policies (scope, ref, document, updated_at, updated_by) VALUES (:s, :r, :d, :t, :by)"
                            + " ON CONFLICT (scope, ref) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at,"
                            + " updated_by = excluded.updated_by")
                    .bind("s", k.scope).bind("r", k.ref).bind("d", doc).bind("t", now).bind("by", actor).execute();
            return stored(h, k).orElseThrow();
        });
    }

    /** Removes the settings at a scope (everything inherited again); false when there were none. */
    public boolean delete(String scope, String ref) {
        return db.tx(h -> {
            Key k = key(h, scope, ref);
            return h.createUpdate("DELETE FROM policies WHERE scope = :s AND ref = :r").bind("s", k.scope).bind("r", k.ref).execute() == 1;
        });
    }

    /** The settings of a rollout of {@code imageId} as a whole: the image's over the fleet's over the defaults. */
    public PolicySettings forImage(Handle h, String imageId) {
        return resolver(h).image(imageId);
    }

    /** A machine's effective settings, with where each came from. */
    public Effective effective(String machineRef) {
        return db.read(h -> {
            Machine m = machines.get(h, machineRef);
            return resolver(h).machine(m.id(), m.imageId(), m.config());
        });
    }

    /**
     * A machine's automatic patching as it stands: whether it applies, its ring, its window in its
     * zone (open now or when it opens next), and every setting with where it came from.
     */
    public record MachineView(String machineId, String machine, boolean automatic, String whyNot, String ring, String timeZone,
                              String window, boolean windowOpen, Instant windowOpensAt, Instant windowClosesAt, PolicySettings settings,
                              Map<String, String> sources) {
    }

    public MachineView view(String machineRef) {
        return db.read(h -> {
            Machine m = machines.get(h, machineRef);
            Effective e = resolver(h).machine(m.id(), m.imageId(), m.config());
            Instant now = clock.instant();
            var w = e.window();
            var open = w.openAt(now, e.zone());
            var next = open.isPresent() ? open : w.next(now, e.zone());
            return new MachineView(m.id(), m.name(), e.automatic(), e.whyNot(), e.ring(), e.settings().timeZone(), w.text(), open.isPresent(),
                    next.map(o -> o.start().equals(Instant.EPOCH) ? null : o.start()).orElse(null),
                    next.map(o -> o.end().equals(Instant.MAX) ? null : o.end()).orElse(null), e.settings(), e.sources());
        });
    }

    /** A resolver over the policies as they are in this transaction (reads them once; resolves many machines). */
    public Resolver resolver(Handle h) {
        Map<String, PolicySettings> byKey = new HashMap<>();
        for (Map<String, Object> row : h.createQuery("SELECT scope, ref, document FROM policies").mapToMap().list()) {
            byKey.put(row.get("scope") + "\u0000" + row.get("ref"), Json.read((String) row.get("document"), PolicySettings.class));
        }
        return new Resolver(h, byKey);
    }

    /** Resolves settings against the policies read when it was made. Not thread-safe; use within the transaction it was made for. */
    public final class Resolver {
        private final Handle h;
        private final Map<String, PolicySettings> byKey;
        private final Map<String, String> imageNames = new HashMap<>();
        /**
         * Resolutions by everything they depend on (see {@link #machine}): planning an image's rollout
         * resolves every machine of it, and a fleet of 75,000 has a handful of distinct inputs, while
         * one resolution merges six layers field by field (about 50 µs).
         */
        private final Map<List<Object>, Effective> memo = new HashMap<>();

        private Resolver(Handle h, Map<String, PolicySettings> byKey) {
            this.h = h;
            this.byKey = byKey;
        }

        private PolicySettings at(String scope, String ref) {
            return ref == null ? PolicySettings.EMPTY : byKey.getOrDefault(scope + "\u0000" + ref, PolicySettings.EMPTY);
        }

        /** The image's settings over the fleet's over the defaults. */
        public PolicySettings image(String imageId) {
            return at(IMAGE, imageId).over(at(FLEET, "*")).over(PolicySettings.DEFAULTS);
        }

        /** A machine's effective settings, given its id, image and reported config. */
        public Effective machine(String machineId, String imageId, MachineReport.Config config) {
            MachineReport.Config c = config == null ? new MachineReport.Config(null, null, null, null, null, null, null, null, null, Map.of()) : config;
            PolicySettings own = at(MACHINE, machineId);
            PolicySettings group = at(GROUP, c.group());
            PolicySettings image = at(IMAGE, imageId);
            PolicySettings fleet = at(FLEET, "*");
            String ringTag = own.ringTag() != null ? own.ringTag() : group.ringTag() != null ? group.ringTag()
                    : image.ringTag() != null ? image.ringTag() : fleet.ringTag() != null ? fleet.ringTag() : PolicySettings.DEFAULTS.ringTag();
            String tagRing = c.tags() == null ? null : c.tags().get(ringTag);
            // The result depends on the machine's own policy (keyed by its id only when it has one), the image, and these config fields.
            List<Object> key = java.util.Arrays.asList(own == PolicySettings.EMPTY ? null : machineId, imageId, c.group(), c.patchMode(),
                    c.timeZone(), tagRing, c.groupOrchestration());
            Effective known = memo.get(key);
            if (known != null) {
                return known.machineId() != null && known.machineId().equals(machineId) ? known
                        : new Effective(machineId, known.settings(), known.sources(), known.automatic(), known.whyNot(), known.ring());
            }
            Effective e = resolve(machineId, imageId, c, own, group, image, fleet, tagRing);
            memo.put(key, e);
            return e;
        }

        private Effective resolve(String machineId, String imageId, MachineReport.Config c, PolicySettings own, PolicySettings group,
                                  PolicySettings image, PolicySettings fleet, String tagRing) {
            String nodeMode = null;
            String nodeNote = null;
            if (c.patchMode() != null) {
                String pm = c.patchMode().trim();
                if (pm.equalsIgnoreCase("AutomaticByOS")) {
                    nodeMode = PolicySettings.MANUAL;
                    nodeNote = "the node's config says AutomaticByOS: its own standalone policy patches the machine, the server does not";
                } else if (!pm.equalsIgnoreCase("ImageDefault") && !pm.isEmpty()) {
                    try {
                        nodeMode = PolicySettings.patchMode(pm);
                    } catch (ServerException e) {
                        nodeNote = "the node's config has an unknown patch mode '" + pm + "', ignored";
                    }
                }
            }
            PolicySettings node = PolicySettings.EMPTY.with(mapOf("patchMode", nodeMode, "timeZone", c.timeZone(), "ring", tagRing));
            List<Layer> layers = List.of(new Layer("machine", own), new Layer("node config", node),
                    new Layer("group " + c.group(), group), new Layer("image " + imageName(imageId), image), new Layer("fleet", fleet),
                    new Layer("default", PolicySettings.DEFAULTS));
            PolicySettings merged = PolicySettings.EMPTY;
            Map<String, String> sources = new LinkedHashMap<>();
            for (String f : PolicySettings.fields()) {
                for (Layer l : layers) {
                    if (l.settings.get(f) != null) {
                        sources.put(f, l.name);
                        break;
                    }
                }
            }
            for (int i = layers.size() - 1; i >= 0; i--) {
                merged = layers.get(i).settings.over(merged);
            }
            // Settings of a rollout as a whole are the image's, whatever a group or machine says.
            PolicySettings img = image(imageId);
            String ring = PolicySettings.ringOf(merged.ring(), img.rings());
            String why = null;
            if ("uniform".equalsIgnoreCase(c.groupOrchestration())) {
                why = "group '" + (c.group() == null ? "?" : c.group()) + "' uses uniform orchestration: automatic hotpatching is refused"
                        + " for uniform groups, whose replicas an outside orchestrator manages (declare the group flexible)";
            } else if (!PolicySettings.AUTOMATIC.equals(merged.patchMode())) {
                why = nodeNote != null && "node config".equals(sources.get("patchMode")) ? nodeNote
                        : "patch mode is " + merged.patchMode() + " (from " + sources.get("patchMode") + ")";
            }
            return new Effective(machineId, merged, java.util.Collections.unmodifiableMap(sources), why == null, why, ring);
        }

        private String imageName(String imageId) {
            if (imageId == null) {
                return "(none)";
            }
            return imageNames.computeIfAbsent(imageId, id -> catalog.findImage(h, id).map(Image::name).orElse(id));
        }
    }

    private record Layer(String name, PolicySettings settings) {
    }

    private static Map<String, Object> mapOf(String k1, Object v1, String k2, Object v2, String k3, Object v3) {
        Map<String, Object> m = new HashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        m.put(k3, v3);
        return m;
    }

    private record Key(String scope, String ref, String name) {
    }

    private Key key(Handle h, String scope, String ref) {
        String s = scope == null ? "" : scope.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case FLEET -> new Key(FLEET, "*", "fleet");
            case IMAGE -> {
                Image img = catalog.image(h, ref);
                yield new Key(IMAGE, img.id(), img.name());
            }
            case GROUP -> {
                if (ref == null || ref.isBlank() || ref.length() > 200) {
                    throw new ServerException.BadRequest("invalid-group", "group name '" + ref + "' is not valid", "use the group name nodes report");
                }
                yield new Key(GROUP, ref.trim(), ref.trim());
            }
            case MACHINE -> {
                Machine m = machines.get(h, ref);
                yield new Key(MACHINE, m.id(), m.name());
            }
            default -> throw new ServerException.BadRequest("invalid-scope", "policy scope '" + scope + "' is not known",
                    "use fleet, image, group or machine");
        };
    }

    private String displayName(Handle h, String scope, String ref) {
        return switch (scope) {
            case IMAGE -> catalog.findImage(h, ref).map(Image::name).orElse(ref);
            case MACHINE -> machines.find(h, ref).map(Machine::name).orElse(ref);
            case FLEET -> "fleet";
            default -> ref;
        };
    }

    private Optional<Scoped> stored(Handle h, Key k) {
        return h.createQuery("SELECT document, updated_at, updated_by FROM policies WHERE scope = :s AND ref = :r")
                .bind("s", k.scope).bind("r", k.ref).mapToMap().findOne()
                .map(row -> new Scoped(k.scope, k.ref, k.name, Json.read((String) row.get("document"), PolicySettings.class),
                        Instant.ofEpochMilli(((Number) row.get("updated_at")).longValue()), (String) row.get("updated_by")));
    }

    private void refuseUniform(Handle h, Key k) {
        for (dev.hotpatch.server.machine.Planning.UniformMember m : dev.hotpatch.server.machine.Planning.uniformMembers(h)) {
            MachineReport.Config c = m.config();
            if (k.scope.equals(GROUP) ? k.ref.equals(c.group()) : k.ref.equals(m.machineId())) {
                throw new ServerException.Conflict("uniform-group", (k.scope.equals(GROUP) ? "group '" + k.ref + "'" : "machine " + m.name()
                        + " (group '" + c.group() + "')") + " uses uniform orchestration: automatic hotpatching is refused for uniform groups,"
                        + " whose identical replicas an outside orchestrator manages", "declare the group flexible in the nodes' config"
                        + " (groupOrchestration = flexible), or patch it by replacing its replicas; nothing was changed");
            }
        }
    }

    private static void scopeOnlyForMachines(Key k, PolicySettings s) {
        if (s.ring() != null) {
            throw new ServerException.BadRequest("invalid-policy", "policy field ring names the ring of a group's or a machine's machines,"
                    + " not of a whole " + k.scope, "set ring on a group or machine, or list the image's rings in 'rings'");
        }
    }
}
