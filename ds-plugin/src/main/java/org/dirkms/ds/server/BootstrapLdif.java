package org.dirkms.ds.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.name.Ava;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bootstrap LDIF: every {@code ldif/bootstrap/*.ldif} on the class path, in file-name
 * order, with {@code ${suffix}} replaced by the served suffix, and {@code ${suffixObjectClass}},
 * {@code ${suffixRdnType}}, {@code ${suffixRdnValue}} by what the suffix entry itself needs. Entries that already exist are
 * skipped, so a start interrupted half-way through the bootstrap finishes it next time.
 */
public final class BootstrapLdif {

    /** Class-path folder of the bootstrap files (the repository's {@code ldif/bootstrap}). */
    static final String RESOURCE_FOLDER = "ldif/bootstrap";
    /** The placeholder substituted in every file. */
    static final String SUFFIX_PLACEHOLDER = "${suffix}";

    private static final Logger LOG = LoggerFactory.getLogger(BootstrapLdif.class);

    private BootstrapLdif() {
    }

    /**
     * The bootstrap files' text, in file-name order, with the suffix substituted: what the
     * embedded server loads at its first start, and what {@code dirkms openldap config} writes
     * for slapd.
     *
     * @param suffix the suffix of the directory, e.g. {@code dc=example,dc=com}
     * @throws IOException when the files are not on the class path or the suffix is not a DN
     */
    public static List<String> texts(String suffix) throws IOException {
        URL folder = BootstrapLdif.class.getClassLoader().getResource(RESOURCE_FOLDER);
        if (folder == null) {
            throw new IOException("the bootstrap LDIF folder '" + RESOURCE_FOLDER
                    + "' is not on the class path: the ds-plugin jar is incomplete");
        }
        List<String> texts = new ArrayList<>();
        try {
            URI uri = folder.toURI();
            if ("jar".equals(uri.getScheme())) {
                FileSystem jar;
                boolean opened = false;
                try {
                    jar = FileSystems.getFileSystem(uri);
                } catch (FileSystemNotFoundException e) {
                    jar = FileSystems.newFileSystem(uri, Map.of());
                    opened = true;
                }
                try {
                    read(jar.provider().getPath(uri), suffix, texts);
                } finally {
                    if (opened) {
                        jar.close();
                    }
                }
            } else {
                read(Path.of(uri), suffix, texts);
            }
        } catch (URISyntaxException e) {
            throw new IOException("cannot list the bootstrap LDIF folder " + folder, e);
        }
        return texts;
    }

    private static void read(Path folder, String suffix, List<String> texts) throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(folder)) {
            files = listing.filter(file -> file.getFileName().toString().endsWith(".ldif")).sorted(
                    (a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        }
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                texts.add(substitute(new String(in.readAllBytes(), StandardCharsets.UTF_8), suffix));
            }
        }
    }

    /** Replaces the placeholders of a bootstrap file. */
    static String substitute(String text, String suffix) throws IOException {
        Ava ava;
        try {
            ava = new Dn(suffix).getRdn().getAva();
        } catch (LdapInvalidDnException e) {
            throw new IOException("suffix '" + suffix + "' is not a valid DN", e);
        }
        String type = ava.getType();
        String objectClass = switch (type.toLowerCase(Locale.ROOT)) {
            case "dc" -> "domain";
            case "o" -> "organization";
            case "ou" -> "organizationalUnit";
            case "c" -> "country";
            default -> "extensibleObject";
        };
        return text.replace("${suffixObjectClass}", objectClass).replace("${suffixRdnType}", type)
                .replace("${suffixRdnValue}", ava.getValue().getString()).replace(SUFFIX_PLACEHOLDER, suffix);
    }

    /** Adds every bootstrap entry that does not exist yet; returns how many were added. */
    static int load(CoreSession admin, SchemaManager schemaManager, String suffix) throws IOException, LdapException {
        int added = 0;
        for (String text : texts(suffix)) {
            try (LdifReader reader = new LdifReader(schemaManager)) {
                for (LdifEntry ldif : reader.parseLdif(text)) {
                    if (admin.exists(ldif.getDn())) {
                        continue;
                    }
                    admin.add(new DefaultEntry(schemaManager, ldif.getEntry()));
                    added++;
                }
            }
        }
        LOG.info("Bootstrap LDIF: added {} entries below {}", added, suffix);
        return added;
    }
}
