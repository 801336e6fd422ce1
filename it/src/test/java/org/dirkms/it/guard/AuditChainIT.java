package org.dirkms.it.guard;

import static org.dirkms.it.guard.GuardFixture.alice;
import static org.dirkms.it.guard.GuardFixture.bob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.dirkms.dist.DirkmsCommand;
import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.schema.audit.AuditVerifier;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * KMS writes are appended to the hash-chained audit log (names, never secret values); the chain
 * continues across a restart from the anchored head; {@code dirkms audit verify} checks the
 * chain against the anchor read over LDAP and names the first edited record.
 */
class AuditChainIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final String PACKAGE = "AUDIT-TEST-PACKAGE-71c4";
    private static final String TOKEN = "AUDIT-TEST-TOKEN-2a9d";

    private Path log() {
        return directory.dataFolder().auditLog();
    }

    private List<AuditRecord> records() throws Exception {
        return Files.readAllLines(log()).stream().map(AuditRecord::parse).toList();
    }

    private String[] verify() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(List.of("audit", "verify", "--data", directory.dataDirectory().toString(),
                "--url", directory.ldapUrl(), "--bind-dn", directory.adminDn(), "--password-file",
                directory.adminPasswordFile().toString(), "--ca-cert", directory.tlsCertificateFile().toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] { Integer.toString(code), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8) };
    }

    @Test
    void theChainRecordsKmsWritesSurvivesARestartAndShowsAnEdit() throws Exception {
        GuardFixture.addUsers(directory);
        GuardFixture.enrollAlice(directory, PACKAGE, TOKEN);
        LdapTools.against(directory).as(bob(directory), GuardFixture.BOB_PASSWORD).modify("dn: " + bob(directory)
                + "\nchangetype: modify\nreplace: description\ndescription: not a KMS write\n-\n").assertSuccess();

        String text = Files.readString(log());
        List<AuditRecord> before = records();
        AuditRecord enrolled = before.get(before.size() - 1);
        assertEquals(directory.agentDn(), enrolled.actor());
        assertEquals("modify", enrolled.operation());
        assertEquals(alice(directory), enrolled.target());
        assertEquals(List.of("kmsEnrollmentState", "kmsKeyPackage", "kmsEnrollmentToken"), enrolled.attributes());
        assertFalse(text.contains(PACKAGE) || text.contains(TOKEN) || text.contains(GuardFixture.base64(PACKAGE)),
                "no secret value in the log");
        assertTrue(before.stream().anyMatch(r -> r.operation().equals("add") && r.target().equals(alice(directory))),
                "adding a kmsUser is audited");
        assertFalse(before.stream().anyMatch(r -> r.target().equals(bob(directory)) && r.actor().equals(bob(directory))),
                "a non-KMS write by a user (bob's description) is not audited");
        assertTrue(before.stream().anyMatch(r -> r.target().equals(bob(directory)) && r.operation().equals("add")
                && r.actor().equals(directory.adminDn())), "every write by the directory superuser is audited");

        AuditHead anchored = directory.server().kmsInterceptor().anchorNow();
        assertEquals(enrolled.head(), anchored);
        String anchorEntry = LdapTools.against(directory).asAdmin()
                .search(directory.layout().auditHead(), "(objectClass=*)", "kmsAuditSequence", "kmsAuditHash")
                .assertSuccess().stdout().toLowerCase();
        assertTrue(anchorEntry.contains("kmsauditsequence: " + anchored.sequence())
                && anchorEntry.contains("kmsaudithash: " + anchored.hash()), anchorEntry);
        LdapTools.against(directory).asAgent().modify("dn: " + directory.layout().auditHead()
                + "\nchangetype: modify\nreplace: kmsAuditSequence\nkmsAuditSequence: 1\n-\n").assertExitCode(50);

        // One more KMS write, anchored by nothing but the shutdown.
        LdapTools.against(directory).asKmsAdministrator().modify("dn: " + alice(directory) + "\nchangetype: modify\n"
                + "replace: kmsEnrollmentState\nkmsEnrollmentState: revoke-requested\n-\n").assertSuccess();
        AuditHead beforeRestart = directory.server().kmsInterceptor().auditHead();
        assertEquals(anchored.sequence() + 1, beforeRestart.sequence());

        directory.restart();

        String reanchored = LdapTools.against(directory).asAdmin()
                .search(directory.layout().auditHead(), "(objectClass=*)", "kmsAuditSequence", "kmsAuditHash")
                .assertSuccess().stdout().toLowerCase();
        assertTrue(reanchored.contains("kmsauditsequence: " + beforeRestart.sequence())
                && reanchored.contains("kmsaudithash: " + beforeRestart.hash()), "anchored at shutdown: " + reanchored);
        LdapTools.against(directory).asAgent().modify("dn: " + alice(directory) + "\nchangetype: modify\n"
                + "replace: kmsEnrollmentState\nkmsEnrollmentState: revoked\n-\n").assertSuccess();
        List<AuditRecord> after = records();
        AuditRecord resumed = after.get((int) beforeRestart.sequence());
        assertEquals(beforeRestart.sequence() + 1, resumed.sequence(), "the chain continues from the head");
        assertEquals(beforeRestart.hash(), resumed.previousHash());
        assertEquals(directory.agentDn(), resumed.actor());

        String[] sound = verify();
        assertEquals("0", sound[0], sound[1] + sound[2]);
        assertTrue(sound[1].contains("anchored head: record " + beforeRestart.sequence()), sound[1]);
        assertTrue(sound[1].contains("audit log OK: " + after.size() + " records"), sound[1]);
        // Every use of the superuser's power is in the log, and verify shows it: it added the two people.
        long bySuperuser = after.stream().filter(r -> r.actor().equals(directory.adminDn())).count();
        assertTrue(bySuperuser >= 2, "the superuser added alice and bob: " + bySuperuser);
        assertTrue(sound[1].contains("the directory superuser uid=admin,ou=system made " + bySuperuser
                + " of these changes; the last:"), sound[1]);
        assertTrue(after.stream().noneMatch(r -> r.actor().equals(directory.adminDn()) && r.target().toLowerCase()
                .contains("ou=audit")), "the server's own writes are not the superuser's");

        // An administrator with file access rewrites who enrolled Alice.
        List<String> lines = Files.readAllLines(log());
        int edited = (int) enrolled.sequence() - 1;
        lines.set(edited, lines.get(edited).replace(directory.agentDn(), directory.adminDn()));
        Files.write(log(), lines);

        String[] broken = verify();
        assertEquals("1", broken[0], broken[1] + broken[2]);
        assertTrue(broken[2].contains("BROKEN at record " + enrolled.sequence()), broken[2]);
        AuditVerifier.Report report = AuditVerifier.verify(log().getParent(), Optional.of(beforeRestart));
        assertEquals(enrolled.sequence(), report.badSequence());
    }
}
