package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassDefinition;
import org.dirkms.schema.SchemaForms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds the KMS schema ({@link SchemaForms#apacheDsEntries()}) below {@code ou=schema} through
 * the administrator session, element by element, skipping those already present. ApacheDS's
 * schema subsystem registers each added element at once (and the schema partition keeps it as
 * LDIF, loaded by the schema loader at the next start), so a data folder made by an older
 * version receives the elements a newer version added.
 *
 * <p>An object class a newer version lets hold more attributes (the claim of a recovery request)
 * is replaced the same way: before the schema is loaded, {@link #dropNarrowerObjectClasses}
 * removes from the stopped schema partition a KMS object class that lacks some of its current
 * {@code MAY} attributes, and {@link #installMissing} adds it again whole. A schema only widens,
 * so every entry the folder holds stays valid. (Modifying the class in place does not do: AM27's
 * schema synchronizer registers the class as it was before the modify.) An attribute type that a
 * newer version lets hold several values (the key package, one PKCS#12 per key in the legacy
 * format) loses its stored {@code m-singleValue} in the stopped partition
 * ({@link #widenAttributeTypes}): it cannot be dropped, since object classes name it.
 */
final class KmsSchemaInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(KmsSchemaInstaller.class);

    private KmsSchemaInstaller() {
    }

    /**
     * Deletes, from the schema partition's files in {@code schemaFolder} (the server not started
     * yet), each KMS object class whose stored {@code m-may} lacks an attribute the current schema
     * allows; {@link #installMissing} then adds it as it is now.
     *
     * @return the names of the object classes dropped
     * @throws IOException if a file cannot be read or deleted
     */
    static List<String> dropNarrowerObjectClasses(Path schemaFolder) throws IOException {
        List<String> dropped = new ArrayList<>();
        if (!Files.isDirectory(schemaFolder)) {
            return dropped;
        }
        Map<String, ObjectClassDefinition> byFile = new HashMap<>();
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            byFile.put(("m-oid=" + objectClass.oid() + ".ldif").toLowerCase(Locale.ROOT), objectClass);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(schemaFolder)) {
            files = walk.filter(file -> byFile.containsKey(file.getFileName().toString().toLowerCase(Locale.ROOT)))
                    .toList();
        }
        for (Path file : files) {
            ObjectClassDefinition current = byFile.get(file.getFileName().toString().toLowerCase(Locale.ROOT));
            Set<String> stored = new HashSet<>();
            for (String line : unfolded(Files.readAllLines(file, StandardCharsets.UTF_8))) {
                if (line.regionMatches(true, 0, MAY, 0, MAY.length())) {
                    stored.add(line.substring(MAY.length()).trim().toLowerCase(Locale.ROOT));
                }
            }
            if (current.may().stream().anyMatch(name -> !stored.contains(name.toLowerCase(Locale.ROOT)))) {
                Files.delete(file);
                dropped.add(current.name());
                LOG.info("The data folder's object class {} lacks attributes it may now hold: it is added again whole",
                        current.name());
            }
        }
        return dropped;
    }

    /**
     * Removes, from the schema partition's files in {@code schemaFolder} (the server not started
     * yet), the {@code m-singleValue: TRUE} of each KMS attribute type the current schema lets hold
     * several values: it becomes {@code FALSE}, as ApacheDS writes it for such a type.
     *
     * @return the names of the attribute types widened
     * @throws IOException if a file cannot be read or written
     */
    static List<String> widenAttributeTypes(Path schemaFolder) throws IOException {
        List<String> widened = new ArrayList<>();
        if (!Files.isDirectory(schemaFolder)) {
            return widened;
        }
        Map<String, AttributeTypeDefinition> byFile = new HashMap<>();
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            if (!type.singleValued()) {
                byFile.put(("m-oid=" + type.oid() + ".ldif").toLowerCase(Locale.ROOT), type);
            }
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(schemaFolder)) {
            files = walk.filter(file -> byFile.containsKey(file.getFileName().toString().toLowerCase(Locale.ROOT)))
                    .toList();
        }
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> wider = lines.stream().map(line -> line.regionMatches(true, 0, SINGLE_VALUE, 0,
                    SINGLE_VALUE.length()) && line.substring(SINGLE_VALUE.length()).trim().equalsIgnoreCase("TRUE")
                            ? line.substring(0, SINGLE_VALUE.length()) + " FALSE" : line).toList();
            if (!wider.equals(lines)) {
                Files.write(file, wider, StandardCharsets.UTF_8);
                String name = byFile.get(file.getFileName().toString().toLowerCase(Locale.ROOT)).name();
                widened.add(name);
                LOG.info("The data folder's attribute type {} held one value: it may now hold several", name);
            }
        }
        return widened;
    }

    private static final String SINGLE_VALUE = "m-singleValue:";

    /** LDIF lines with continuation lines (RFC 2849: a leading space) joined to the line they continue. */
    private static List<String> unfolded(List<String> lines) {
        List<String> joined = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith(" ") && !joined.isEmpty()) {
                joined.set(joined.size() - 1, joined.get(joined.size() - 1) + line.substring(1));
            } else {
                joined.add(line);
            }
        }
        return joined;
    }

    private static final String MAY = "m-may:";

    /** Adds every missing KMS schema element; returns how many were added. */
    static int installMissing(CoreSession admin, SchemaManager schemaManager) throws LdapException {
        int added = 0;
        for (List<String> lines : SchemaForms.apacheDsEntries()) {
            String dn = lines.get(0).substring("dn: ".length());
            Dn name = new Dn(schemaManager, dn);
            if (admin.exists(name)) {
                continue;
            }
            admin.add(new DefaultEntry(schemaManager, name, lines.subList(1, lines.size()).toArray()));
            added++;
        }
        if (added > 0) {
            LOG.info("Added {} KMS schema elements under ou=schema", added);
        }
        return added;
    }
}
