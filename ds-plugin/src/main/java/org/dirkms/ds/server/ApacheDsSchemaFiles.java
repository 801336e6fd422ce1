package org.dirkms.ds.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Extracts ApacheDS's schema LDIF (the {@code schema/} folder of the Apache LDAP API jar) into
 * the schema partition's folder, once.
 *
 * <p>Done here rather than with {@code DefaultSchemaLdifExtractor} because that one refuses to
 * work when the jar is reachable twice on the class path (as happens when a thin jar's manifest
 * {@code Class-Path} and a build tool both name it). The extraction goes to a temporary folder
 * renamed into place at the end, so that a start killed mid-way never leaves half a schema.
 */
final class ApacheDsSchemaFiles {

    /** A file every copy of the ApacheDS schema has: it locates the jar. */
    private static final String MARKER = "schema/ou=schema.ldif";
    private static final String PREFIX = "schema/";

    private ApacheDsSchemaFiles() {
    }

    /** Extracts the schema into {@code partitions/schema} unless that folder exists. */
    static void extractOnce(Path partitions) throws IOException {
        Path target = partitions.resolve("schema");
        if (Files.isDirectory(target)) {
            return;
        }
        URL marker = ApacheDsSchemaFiles.class.getClassLoader().getResource(MARKER);
        if (marker == null || !"jar".equals(marker.getProtocol())) {
            throw new IOException("the ApacheDS schema (" + MARKER + " of the Apache LDAP API jar api-all) is not"
                    + " on the class path" + (marker == null ? "" : " as a jar: " + marker));
        }
        Files.createDirectories(partitions);
        Path temporary = Files.createTempDirectory(partitions, ".schema-");
        JarURLConnection connection = (JarURLConnection) marker.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                if (!name.startsWith(PREFIX) || entry.isDirectory()) {
                    continue;
                }
                Path file = temporary.resolve(name.substring(PREFIX.length())).normalize();
                if (!file.startsWith(temporary)) {
                    throw new IOException("refusing schema jar entry outside the schema folder: " + name);
                }
                Files.createDirectories(file.getParent());
                try (InputStream in = jar.getInputStream(entry)) {
                    Files.copy(in, file);
                }
            }
        }
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
    }
}
