package org.dirkms.it.support;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.dirkms.dist.DirkmsCommand;
import org.dirkms.ds.server.DirectoryServer;

/**
 * The people behind the KMS roles of a server a test started, given their roles as an
 * organisation does: the directory superuser adds the person, and {@code dirkms roles add}, run
 * where the KMS runs (with the server's data folder), gives the role.
 */
public final class Staff {

    /** The password of every person this class makes (a test password). */
    public static final String PASSWORD = "staff-test-password";

    private Staff() {
    }

    /** The DN of the staff member {@code uid}: under {@code ou=Staff}, apart from the people the tests enroll. */
    public static String dn(DirectoryServer server, String uid) {
        return "uid=" + uid + ",ou=Staff," + server.layout().suffix();
    }

    /**
     * Adds {@code uid=<uid>} under {@code ou=Staff} (made when missing) and gives it {@code role}
     * ({@code kms-administrators} or {@code recovery-agents}).
     *
     * @return LDAP clients bound as that person (StartTLS)
     */
    public static LdapTools person(DirectoryServer server, String uid, String role) {
        String dn = dn(server, uid);
        LdapTools superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        LdapTools.Result staff = superuser.add("dn: ou=Staff," + server.layout().suffix()
                + "\nobjectClass: organizationalUnit\nou: Staff\n");
        if (staff.exitCode() != 0 && staff.exitCode() != 68) {
            staff.assertSuccess();
        }
        superuser.add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid + "\nsn: " + uid
                        + "\nmail: " + uid + "@staff.example.com\nuserPassword: " + PASSWORD + "\n")
                .assertSuccess();
        giveRole(server, role, dn);
        return LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).as(dn, PASSWORD);
    }

    /** A KMS administrator {@code uid=kms-admin} of {@code server}. */
    public static LdapTools kmsAdministrator(DirectoryServer server) {
        return person(server, "kms-admin", "kms-administrators");
    }

    /** Runs {@code dirkms roles add ROLE DN} against {@code server}, with its data folder. */
    public static void giveRole(DirectoryServer server, String role, String dn) {
        roles(server, "add", role, dn);
    }

    /** Runs {@code dirkms roles remove ROLE DN} against {@code server}, with its data folder. */
    public static void takeRole(DirectoryServer server, String role, String dn) {
        roles(server, "remove", role, dn);
    }

    private static void roles(DirectoryServer server, String action, String role, String dn) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(List.of("roles", action, role, dn, "--data",
                server.settings().dataDirectory().toString(), "--url", server.ldapUrl(), "--ca-cert",
                server.tlsCertificateFile().toString(), "--suffix",
                server.layout().suffix()), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        if (code != 0) {
            throw new AssertionError("dirkms roles " + action + " " + role + " " + dn + " exited " + code + ": "
                    + err.toString(StandardCharsets.UTF_8));
        }
    }
}
