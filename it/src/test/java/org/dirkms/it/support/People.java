package org.dirkms.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Adds people to a test directory the way an organisation does it: the directory superuser
 * adds the person (names, {@code mail}, password), and a KMS administrator makes them a KMS
 * user (the auxiliary class {@code kmsUser} and the {@code kms*} requests). Neither may do the
 * other's part (docs/security.md), so a test that writes one LDIF entry with both is split here
 * into an {@code ldapadd} by the one and an {@code ldapmodify} by the other, with the real
 * OpenLDAP clients.
 */
public final class People {

    private People() {
    }

    /**
     * Adds the entries of {@code ldif} (entries, not change records) as the superuser, then
     * applies their KMS part as the directory's KMS administrator.
     */
    public static void addAndEnroll(TestDirectory directory, String ldif) {
        addAndEnroll(LdapTools.against(directory).asAdmin(), LdapTools.against(directory).asKmsAdministrator(), ldif);
    }

    /**
     * Adds the entries of {@code ldif} (entries, or {@code changetype: add} records) with
     * {@code superuser}, then applies their KMS part with {@code kmsAdministrator}.
     */
    public static void addAndEnroll(LdapTools superuser, LdapTools kmsAdministrator, String ldif) {
        Split split = split(ldif);
        superuser.add(split.people()).assertSuccess();
        if (!split.enrollments().isBlank()) {
            kmsAdministrator.modify(split.enrollments()).assertSuccess();
        }
    }

    /**
     * Adds {@code count} people without KMS enrollment ({@code uid=person0000} … under
     * {@code ou=People}, each with a {@code mail}) in one {@code ldapadd} by {@code superuser}: an
     * organisation's directory, larger than the anonymous size cap of 100, so that a client
     * searching the whole tree would be cut short.
     */
    public static void addCrowd(LdapTools superuser, String suffix, int count) {
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String uid = String.format(Locale.ROOT, "person%04d", i);
            bulk.append("dn: uid=").append(uid).append(",ou=People,").append(suffix)
                    .append("\nobjectClass: inetOrgPerson\nuid: ").append(uid).append("\ncn: Person ").append(i)
                    .append("\nsn: ").append(i).append("\nmail: ").append(uid).append("@example.com\n\n");
        }
        superuser.add(bulk.toString()).assertSuccess();
    }

    /** The person part of each entry, and the KMS part as change records. */
    record Split(String people, String enrollments) {
    }

    static Split split(String ldif) {
        StringBuilder people = new StringBuilder();
        StringBuilder enrollments = new StringBuilder();
        for (String entry : ldif.split("\n\\s*\n")) {
            List<String> lines = unfold(entry);
            if (lines.isEmpty()) {
                continue;
            }
            List<String> kms = new ArrayList<>();
            for (String line : lines) {
                if (line.toLowerCase(Locale.ROOT).replace(" ", "").startsWith("changetype:")
                        && !line.toLowerCase(Locale.ROOT).replace(" ", "").equals("changetype:add")) {
                    throw new IllegalArgumentException("People.addAndEnroll takes entries to add, not: " + line);
                }
                if (isKms(line)) {
                    kms.add(line);
                } else {
                    people.append(line).append('\n');
                }
            }
            people.append('\n');
            if (!kms.isEmpty()) {
                enrollments.append(lines.get(0)).append("\nchangetype: modify\n");
                for (String line : kms) {
                    String attribute = line.substring(0, line.indexOf(':'));
                    enrollments.append("add: ").append(attribute).append('\n').append(line).append("\n-\n");
                }
                enrollments.append('\n');
            }
        }
        return new Split(people.toString(), enrollments.toString());
    }

    private static boolean isKms(String line) {
        String lower = line.toLowerCase(Locale.ROOT);
        return lower.startsWith("kms") || lower.replace(" ", "").equals("objectclass:kmsuser");
    }

    /** The entry's lines with RFC 2849 continuation lines joined to the line they continue. */
    private static List<String> unfold(String entry) {
        List<String> lines = new ArrayList<>();
        for (String line : entry.split("\n")) {
            if (line.startsWith(" ") && !lines.isEmpty()) {
                lines.set(lines.size() - 1, lines.get(lines.size() - 1) + line.substring(1));
            } else if (!line.isBlank() && !line.startsWith("#")) {
                lines.add(line);
            }
        }
        return lines;
    }
}
