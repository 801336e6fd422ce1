package org.dirkms.agent.enroll;

import java.nio.ByteBuffer;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.util.GeneralizedTime;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.Syntax;

/**
 * A directory in memory with the semantics the agent relies on (RFC 4511 section 4.6): each
 * add, modify or delete is applied atomically or not at all; a modify that deletes a value the
 * attribute does not hold fails with noSuchAttribute, one that adds a value it holds with
 * attributeOrValueExists, a second value of a single-valued attribute with constraintViolation;
 * values compare with the equality rule of their attribute type (the KMS schema's, from
 * {@link KmsSchema}; {@code caseIgnoreMatch} for other strings, octets for binary values), DNs
 * through {@link DistinguishedNames}. An enumerated KMS attribute accepts only its values, as the
 * directory's guard does.
 *
 * <p>Every process reaches it through its own {@link Session}, which counts the writes the
 * process makes and can kill the process at its n-th write, before or after the directory
 * applied it: from then on every read or write of that session throws {@link SimulatedCrash},
 * so nothing the process would have done afterwards reaches the directory. The directory
 * remembers every certificate that ever appeared in a {@code userCertificate}, by kind of
 * entry, so that a test can ask what was ever visible.
 */
final class InMemoryDirectory {

    /** When a session dies at its chosen write. */
    enum Crash {
        /** The write never reached the directory. */
        BEFORE,
        /** The write was applied; the process died before it saw the answer. */
        AFTER
    }

    /** The LDAP result codes of a failed operation that the records tell apart. */
    enum ResultCode {
        NO_SUCH_OBJECT, NO_SUCH_ATTRIBUTE, ATTRIBUTE_OR_VALUE_EXISTS, CONSTRAINT_VIOLATION, ENTRY_ALREADY_EXISTS,
        INVALID_ATTRIBUTE_SYNTAX
    }

    /** An operation the directory refused, changing nothing. */
    static final class OperationFailed extends RuntimeException {
        private final ResultCode code;

        OperationFailed(ResultCode code, String message) {
            super(code + ": " + message);
            this.code = code;
        }

        ResultCode code() {
            return code;
        }
    }

    /** The process of a session died: thrown at its chosen write and at everything it does afterwards. */
    static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash(String message) {
            super(message);
        }
    }

    /** The three kinds of modification of RFC 4511 section 4.6. */
    enum Operation {
        ADD, DELETE, REPLACE
    }

    /** One modification: values are {@code String} or {@code byte[]}; none for a delete of the whole attribute. */
    record Change(Operation operation, String attribute, List<Object> values) {
        Change {
            values = List.copyOf(values);
        }

        static Change add(String attribute, Object... values) {
            return new Change(Operation.ADD, attribute, List.of(values));
        }

        static Change delete(String attribute, Object... values) {
            return new Change(Operation.DELETE, attribute, List.of(values));
        }

        static Change replace(String attribute, Object... values) {
            return new Change(Operation.REPLACE, attribute, List.of(values));
        }

        static Change replace(String attribute, List<?> values) {
            return new Change(Operation.REPLACE, attribute, List.copyOf(values));
        }
    }

    /** What an entry holds: its DN as written, and its attributes by lower-case name, values in order. */
    static final class Entry {
        private final String dn;
        private final Map<String, List<Object>> attributes = new LinkedHashMap<>();

        private Entry(String dn) {
            this.dn = dn;
        }

        String dn() {
            return dn;
        }

        /** The string values of {@code attribute}, in order. */
        List<String> strings(String attribute) {
            List<String> strings = new ArrayList<>();
            for (Object value : attributes.getOrDefault(lower(attribute), List.of())) {
                strings.add(value instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                        : (String) value);
            }
            return strings;
        }

        /** The first string value of {@code attribute}, or null. */
        String string(String attribute) {
            List<String> values = strings(attribute);
            return values.isEmpty() ? null : values.get(0);
        }

        /** Copies of the binary values of {@code attribute}, in order. */
        List<byte[]> bytes(String attribute) {
            List<byte[]> bytes = new ArrayList<>();
            for (Object value : attributes.getOrDefault(lower(attribute), List.of())) {
                bytes.add(value instanceof byte[] b ? b.clone()
                        : ((String) value).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return bytes;
        }

        /** Every value, binary ones in hex: what a test compares to see that nothing changed. */
        Map<String, List<String>> values() {
            Map<String, List<String>> values = new LinkedHashMap<>();
            attributes.forEach((name, list) -> values.put(name, list.stream()
                    .map(v -> v instanceof byte[] b ? HexFormat.of().formatHex(b) : (String) v).toList()));
            return values;
        }

        /** The names (lower case) of the attributes the entry holds. */
        List<String> attributeNames() {
            return List.copyOf(attributes.keySet());
        }

        boolean has(String attribute) {
            return attributes.containsKey(lower(attribute));
        }

        /** Whether {@code objectClass} holds {@code objectClass}. */
        boolean is(String objectClass) {
            return strings(AttributeNames.OBJECT_CLASS).stream().anyMatch(oc -> oc.equalsIgnoreCase(objectClass));
        }

        private Entry copy() {
            Entry copy = new Entry(dn);
            attributes.forEach((name, values) -> copy.attributes.put(name, new ArrayList<>(values)));
            return copy;
        }
    }

    private final DirectoryLayout layout;
    private final Clock clock;
    /** The entries by normalised DN, in the order they were added. */
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    /** Every certificate ever held by a {@code userCertificate}, with the kinds of entry that held it. */
    private final Map<ByteBuffer, Set<String>> certificatesEverShown = new LinkedHashMap<>();

    InMemoryDirectory(DirectoryLayout layout, Clock clock) {
        this.layout = layout;
        this.clock = clock;
    }

    /** A directory holding a copy of every entry of this one, on {@code clock}: a set-up made once, used by many tests. */
    synchronized InMemoryDirectory copy(Clock clock) {
        InMemoryDirectory copy = new InMemoryDirectory(layout, clock);
        entries.forEach((key, entry) -> copy.entries.put(key, entry.copy()));
        certificatesEverShown.forEach((der, kinds) -> copy.certificatesEverShown.put(der, new LinkedHashSet<>(kinds)));
        return copy;
    }

    /**
     * What slapd 2.5's plain syncrepl does between two providers when both changed one entry
     * (docs/reliability.md, "Replicated directories", measured): the entry at {@code dn} becomes
     * {@code other}'s copy whole, the one with the newer {@code entryCSN}; an entry {@code other}
     * lacks is left as it is.
     */
    void takeEntryFrom(InMemoryDirectory other, String dn) {
        Entry newer;
        synchronized (other) {
            Entry theirs = other.entries.get(normal(dn));
            if (theirs == null) {
                return;
            }
            newer = theirs.copy();
        }
        synchronized (this) {
            entries.put(normal(dn), newer);
            remember(newer);
        }
    }

    DirectoryLayout layout() {
        return layout;
    }

    Clock clock() {
        return clock;
    }

    /** A new process's way into the directory. */
    Session session(String process) {
        return new Session(process);
    }

    /**
     * The certificates (DER) that ever appeared in a {@code userCertificate} of an entry of the
     * object class {@code objectClass} (kmsUser, kmsPublishedCertificate, kmsCertificateRequest,
     * kmsArchivedKey).
     */
    synchronized List<byte[]> certificatesEverShownIn(String objectClass) {
        List<byte[]> found = new ArrayList<>();
        certificatesEverShown.forEach((der, kinds) -> {
            if (kinds.contains(objectClass.toLowerCase(Locale.ROOT))) {
                found.add(der.array().clone());
            }
        });
        return found;
    }

    /** One process's connection: it counts the process's writes and can kill it at one. */
    final class Session {
        private final String process;
        private int writes;
        private int crashAt;
        private Crash crash = Crash.BEFORE;
        private boolean dead;
        private final Map<Integer, Runnable> meanwhile = new LinkedHashMap<>();
        private final List<String> log = new ArrayList<>();

        private Session(String process) {
            this.process = process;
        }

        /** The process dies at its {@code write}-th write (1 is the first), {@code when} the directory applied it or not. */
        Session crashAt(int write, Crash when) {
            this.crashAt = write;
            this.crash = when;
            return this;
        }

        /**
         * Runs {@code other} (another process's work) just before this process's {@code n}-th
         * write from now reaches the directory: the interleaving of two processes, made exact.
         */
        Session meanwhile(int n, Runnable other) {
            meanwhile.put(writes + n, other);
            return this;
        }

        /** How many writes this process made (the one it died at included). */
        int writes() {
            return writes;
        }

        /**
         * The writes this process sent, in order, each as the operation and the KMS object class
         * of its entry ({@code "add kmsArchivedKey"}, {@code "modify kmsUser"}).
         */
        List<String> log() {
            return List.copyOf(log);
        }

        private String kindOf(String dn) {
            synchronized (InMemoryDirectory.this) {
                Entry entry = entries.get(normal(dn));
                return entry == null ? "(no entry)" : kind(entry.attributes.getOrDefault("objectclass", List.of()));
            }
        }

        /** The process dies now, between two writes (as SIGKILL would): it reads and writes nothing more. */
        void kill() {
            dead = true;
        }

        /** Whether the process died. */
        boolean crashed() {
            return dead;
        }

        InMemoryDirectory directory() {
            return InMemoryDirectory.this;
        }

        Optional<Entry> read(String dn) {
            alive();
            synchronized (InMemoryDirectory.this) {
                Entry entry = entries.get(normal(dn));
                return Optional.ofNullable(entry == null ? null : entry.copy());
            }
        }

        /** Every entry below (or at) {@code base} that {@code filter} accepts, in the order they were added. */
        List<Entry> search(String base, Predicate<Entry> filter) {
            alive();
            synchronized (InMemoryDirectory.this) {
                List<Entry> found = new ArrayList<>();
                for (Entry entry : entries.values()) {
                    if (within(entry.dn, base) && filter.test(entry)) {
                        found.add(entry.copy());
                    }
                }
                return found;
            }
        }

        /** The entries directly below {@code parent} that {@code filter} accepts. */
        List<Entry> children(String parent, Predicate<Entry> filter) {
            String parentNormal = normal(parent);
            return search(parent, entry -> parentNormal.equals(parentOf(entry.dn)) && filter.test(entry));
        }

        /** Adds an entry; its parent must exist, unless it is a suffix-level container the test never made. */
        void add(String dn, Map<String, List<Object>> attributes) {
            write("add " + kind(attributes.getOrDefault(AttributeNames.OBJECT_CLASS, List.of())), dn, () -> {
                String key = normal(dn);
                if (entries.containsKey(key)) {
                    throw new OperationFailed(ResultCode.ENTRY_ALREADY_EXISTS, dn);
                }
                String parent = parentOf(dn);
                if (!parent.isEmpty() && !entries.containsKey(parent) && !isContainer(parent)) {
                    throw new OperationFailed(ResultCode.NO_SUCH_OBJECT, "no parent of " + dn);
                }
                Entry entry = new Entry(dn);
                for (Map.Entry<String, List<Object>> attribute : attributes.entrySet()) {
                    apply(entry, Change.replace(attribute.getKey(), attribute.getValue()));
                }
                entries.put(key, entry);
                remember(entry);
            });
        }

        /** Applies {@code changes} to the entry at {@code dn} in order, all or none. */
        void modify(String dn, Change... changes) {
            write("modify " + kindOf(dn), dn, () -> {
                Entry current = entries.get(normal(dn));
                if (current == null) {
                    throw new OperationFailed(ResultCode.NO_SUCH_OBJECT, dn);
                }
                Entry changed = current.copy();
                for (Change change : changes) {
                    apply(changed, change);
                }
                entries.put(normal(dn), changed);
                remember(changed);
            });
        }

        /** Deletes the leaf entry at {@code dn}. */
        void delete(String dn) {
            write("delete " + kindOf(dn), dn, () -> {
                String key = normal(dn);
                if (!entries.containsKey(key)) {
                    throw new OperationFailed(ResultCode.NO_SUCH_OBJECT, dn);
                }
                boolean hasChildren = entries.values().stream().anyMatch(e -> key.equals(parentOf(e.dn)));
                if (hasChildren) {
                    throw new OperationFailed(ResultCode.CONSTRAINT_VIOLATION, "notAllowedOnNonLeaf: " + dn);
                }
                entries.remove(key);
            });
        }

        private void write(String what, String dn, Runnable operation) {
            alive();
            writes++;
            log.add(what);
            Runnable other = meanwhile.remove(writes);
            if (other != null) {
                other.run();
            }
            if (writes == crashAt && crash == Crash.BEFORE) {
                dead = true;
                throw new SimulatedCrash(process + " died at write " + writes + " (" + what + " " + dn + "), before it was applied");
            }
            try {
                synchronized (InMemoryDirectory.this) {
                    operation.run();
                }
            } finally {
                if (writes == crashAt && crash == Crash.AFTER) {
                    dead = true;
                    throw new SimulatedCrash(process + " died at write " + writes + " (" + what + " " + dn + "), after it was sent");
                }
            }
        }

        private void alive() {
            if (dead) {
                throw new SimulatedCrash(process + " is dead");
            }
        }
    }

    /** The KMS object class among {@code objectClasses} (the first kms one), else the last one. */
    private static String kind(List<Object> objectClasses) {
        String last = "";
        for (Object objectClass : objectClasses) {
            String name = (String) objectClass;
            if (name.startsWith("kms")) {
                return name;
            }
            last = name;
        }
        return last;
    }

    /** The suffix and the containers of the layout exist in every directory; the test never adds them. */
    private boolean isContainer(String normalDn) {
        for (String container : List.of(layout.suffix(), layout.people(), layout.kms(), layout.servers(),
                layout.administrativeGroups(), layout.certificationAuthorities(), layout.certificateTemplates(),
                layout.requests(), layout.keyArchive())) {
            if (normal(container).equals(normalDn)) {
                return true;
            }
        }
        return false;
    }

    private void remember(Entry entry) {
        String kind = entry.strings(AttributeNames.OBJECT_CLASS).stream().map(oc -> oc.toLowerCase(Locale.ROOT))
                .filter(oc -> !oc.equals("top") && !oc.equals("inetorgperson")).reduce((a, b) -> a + " " + b)
                .orElse("");
        for (byte[] certificate : entry.bytes(AttributeNames.USER_CERTIFICATE)) {
            Set<String> kinds = certificatesEverShown.computeIfAbsent(ByteBuffer.wrap(certificate),
                    der -> new LinkedHashSet<>());
            kinds.addAll(Arrays.asList(kind.split(" ")));
        }
    }

    /** Applies one change to {@code entry} with the rules of RFC 4511 section 4.6 and the attribute's schema. */
    private static void apply(Entry entry, Change change) {
        String name = lower(change.attribute());
        List<Object> values = entry.attributes.getOrDefault(name, List.of());
        List<Object> result = new ArrayList<>(values);
        switch (change.operation()) {
            case ADD -> {
                if (change.values().isEmpty()) {
                    throw new OperationFailed(ResultCode.INVALID_ATTRIBUTE_SYNTAX, "an add without values of " + name);
                }
                for (Object value : change.values()) {
                    check(name, value);
                    if (indexOf(name, result, value) >= 0) {
                        throw new OperationFailed(ResultCode.ATTRIBUTE_OR_VALUE_EXISTS, name + " of " + entry.dn);
                    }
                    result.add(copy(value));
                }
            }
            case DELETE -> {
                if (change.values().isEmpty()) {
                    if (values.isEmpty()) {
                        throw new OperationFailed(ResultCode.NO_SUCH_ATTRIBUTE, name + " of " + entry.dn);
                    }
                    result.clear();
                }
                for (Object value : change.values()) {
                    int at = indexOf(name, result, value);
                    if (at < 0) {
                        throw new OperationFailed(ResultCode.NO_SUCH_ATTRIBUTE, name + " value of " + entry.dn);
                    }
                    result.remove(at);
                }
            }
            case REPLACE -> {
                result.clear();
                for (Object value : change.values()) {
                    check(name, value);
                    if (indexOf(name, result, value) >= 0) {
                        throw new OperationFailed(ResultCode.ATTRIBUTE_OR_VALUE_EXISTS, name + " of " + entry.dn);
                    }
                    result.add(copy(value));
                }
            }
            default -> throw new IllegalStateException(change.operation().toString());
        }
        if (result.size() > 1 && singleValued(name)) {
            throw new OperationFailed(ResultCode.CONSTRAINT_VIOLATION, name + " is single-valued, on " + entry.dn);
        }
        if (result.isEmpty()) {
            entry.attributes.remove(name);
        } else {
            entry.attributes.put(name, result);
        }
    }

    private static int indexOf(String attribute, List<Object> values, Object value) {
        Object wanted = matchKey(attribute, value);
        for (int i = 0; i < values.size(); i++) {
            if (matchKey(attribute, values.get(i)).equals(wanted)) {
                return i;
            }
        }
        return -1;
    }

    /** An enumerated KMS attribute takes only its values, as the directory's guard checks. */
    private static void check(String attribute, Object value) {
        Optional<AttributeTypeDefinition> type = KmsSchema.attributeType(attribute);
        if (type.isEmpty() || type.get().enumeration() == null) {
            return;
        }
        boolean known = Arrays.stream(type.get().enumeration().getEnumConstants())
                .map(LdapEnumeration::ldapValue).anyMatch(value::equals);
        if (!known) {
            throw new OperationFailed(ResultCode.INVALID_ATTRIBUTE_SYNTAX, attribute + " '" + value + "'");
        }
    }

    /** What the attribute's equality rule compares of {@code value}. */
    private static Object matchKey(String attribute, Object value) {
        if (value instanceof byte[] bytes) {
            return HexFormat.of().formatHex(bytes);
        }
        String text = (String) value;
        Syntax syntax = KmsSchema.attributeType(attribute).map(AttributeTypeDefinition::syntax).orElse(null);
        if (syntax == null) {
            return caseIgnore(text); // mail, cn, objectClass: caseIgnoreMatch or caseIgnoreIA5Match
        }
        return switch (syntax) {
            case ENUMERATED_STRING -> text;
            case DN -> normal(text);
            case GENERALIZED_TIME -> generalizedTime(text);
            case OCTET_STRING -> HexFormat.of().formatHex(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            default -> caseIgnore(text);
        };
    }

    private static String caseIgnore(String text) {
        return text.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    private static Object generalizedTime(String text) {
        try {
            return new GeneralizedTime(text).getDate().toInstant();
        } catch (ParseException e) {
            throw new OperationFailed(ResultCode.INVALID_ATTRIBUTE_SYNTAX, "'" + text + "' is not a GeneralizedTime");
        }
    }

    private static boolean singleValued(String attribute) {
        return KmsSchema.attributeType(attribute).map(AttributeTypeDefinition::singleValued).orElse(false);
    }

    private static Object copy(Object value) {
        return value instanceof byte[] bytes ? bytes.clone() : value;
    }

    /** The attribute name without options ({@code userCertificate;binary} is {@code usercertificate}). */
    static String lower(String attribute) {
        int options = attribute.indexOf(';');
        return (options < 0 ? attribute : attribute.substring(0, options)).toLowerCase(Locale.ROOT);
    }

    /** {@link DistinguishedNames#normal}, remembered: the directory normalises every DN it touches. */
    static String normal(String dn) {
        return NORMAL.computeIfAbsent(dn, DistinguishedNames::normal);
    }

    private static final Map<String, String> NORMAL = new java.util.concurrent.ConcurrentHashMap<>();

    private static boolean within(String dn, String ancestor) {
        String name = normal(dn);
        String top = normal(ancestor);
        return name.equals(top) || name.endsWith("," + top);
    }

    /** The normalised DN of the parent of {@code dn}, or empty for a one-RDN DN. */
    static String parentOf(String dn) {
        return PARENT.computeIfAbsent(dn, name -> {
            try {
                Dn parsed = new Dn(name);
                return parsed.size() <= 1 ? "" : normal(parsed.getParent().getName());
            } catch (LdapInvalidDnException e) {
                throw new IllegalArgumentException(name, e);
            }
        });
    }

    private static final Map<String, String> PARENT = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code objectClass} values of a new entry. */
    static List<Object> objectClasses(String... classes) {
        List<Object> values = new ArrayList<>();
        values.add(ObjectClassNames.TOP);
        values.addAll(List.of(classes));
        return values;
    }
}
