package org.dirkms.it.guard;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;

/** Users and secrets the guard tests share: made the way an administrator and the agent would. */
final class GuardFixture {

    static final String ALICE_PASSWORD = "alice-test-password";
    static final String BOB_PASSWORD = "bob-test-password";

    private GuardFixture() {
    }

    static String alice(TestDirectory directory) {
        return "uid=alice," + directory.layout().people();
    }

    static String bob(TestDirectory directory) {
        return "uid=bob," + directory.layout().people();
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Alice, a KMS user asked for enrollment, and Bob, an ordinary user: the superuser adds the
     * people, the KMS administrator enrolls Alice.
     */
    static void addUsers(TestDirectory directory) {
        People.addAndEnroll(directory, String.join("\n",
                "dn: " + alice(directory),
                "objectClass: inetOrgPerson",
                "objectClass: kmsUser",
                "uid: alice",
                "cn: Alice Example",
                "sn: Example",
                "mail: alice@example.com",
                "userPassword: " + ALICE_PASSWORD,
                "kmsEnrollmentState: requested",
                "",
                "dn: " + bob(directory),
                "objectClass: inetOrgPerson",
                "uid: bob",
                "cn: Bob Example",
                "sn: Example",
                "mail: bob@example.com",
                "userPassword: " + BOB_PASSWORD,
                ""));
    }

    /** The agent answers Alice's enrollment with a key package and its token (secrets, so over StartTLS). */
    static void enrollAlice(TestDirectory directory, String keyPackage, String token) {
        LdapTools.against(directory).asAgent().withArguments("-ZZ").modify(String.join("\n",
                "dn: " + alice(directory),
                "changetype: modify",
                "replace: kmsEnrollmentState",
                "kmsEnrollmentState: enrolled",
                "-",
                "replace: kmsKeyPackage",
                "kmsKeyPackage:: " + base64(keyPackage),
                "-",
                "replace: kmsEnrollmentToken",
                "kmsEnrollmentToken:: " + base64(token),
                "-",
                "")).assertSuccess();
    }
}
