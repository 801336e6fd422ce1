package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms openldap config} as an integrator runs it: the command writes the files for a
 * suffix of its own, and the commands its README.txt lists, run as written (but for the test's
 * ldapi socket) with {@code ldapadd -Y EXTERNAL} against a running slapd set up as Debian sets one
 * up (cn=config, back_mdb, the core schemas, a first database {1}mdb), make a KMS directory: the
 * database {2}mdb with syncprov, the tree, the agent binding with its password over StartTLS, the
 * directory administrator adding a person, anonymous clients reading the public attributes only.
 */
class OpenLdapConfigCommandIT {

    private static final String SUFFIX = "o=Acme Test";
    private static final String AGENT = "cn=kms-agent,ou=KMS," + SUFFIX;

    @TempDir
    Path work;

    @Test
    void theReadmeStepsLoadTheConfigurationIntoARunningSlapd() throws Exception {
        SlapdCa ca = SlapdCa.create(work.resolve("ca"));
        Path[] tls = ca.issueServerCertificate(work.resolve("tls"));
        Path config = Files.createDirectories(work.resolve("slapd.d"));
        Path socket = work.resolve("ldapi");
        String ldapi = "ldapi://" + URLEncoder.encode(socket.toString(), StandardCharsets.UTF_8);
        int port = Slapd.freePort();
        String url = "ldap://127.0.0.1:" + port;
        Path debianDatabase = Files.createDirectories(work.resolve("nodomain"));
        Files.writeString(work.resolve("base.ldif"), "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n"
                + "olcPidFile: " + work.resolve("slapd.pid") + "\nolcTLSCACertificateFile: " + ca.certificate()
                + "\nolcTLSCertificateFile: " + tls[1] + "\nolcTLSCertificateKeyFile: " + tls[0] + "\n\n"
                + "dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
                + "olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n\n"
                + "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n"
                + "include: file:///etc/ldap/schema/core.ldif\n\ninclude: file:///etc/ldap/schema/cosine.ldif\n\n"
                + "include: file:///etc/ldap/schema/inetorgperson.ldif\n\n"
                + "dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
                + "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n\n"
                + "dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n"
                + "olcAccess: to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage"
                + " by * break\n\n"
                + "dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n"
                + "olcDatabase: {1}mdb\nolcSuffix: dc=nodomain\nolcDbDirectory: " + debianDatabase + "\n"
                + "olcDbMaxSize: 16777216\n");
        LdapTools.run(List.of("/usr/sbin/slapadd", "-n0", "-F", config.toString(), "-l", work.resolve("base.ldif")
                .toString()), Map.of(), null).assertSuccess();
        LdapTools.run(List.of("/usr/sbin/slapd", "-h", url + "/ " + ldapi, "-F", config.toString()), Map.of(), null)
                .assertSuccess();
        try {
            Path kmsDatabase = Files.createDirectories(work.resolve("kmsdb"));
            Path out = work.resolve("slapd-kms");
            DirkmsRun run = DirkmsRun.of("openldap", "config", "--suffix", SUFFIX, "--agent-dn", AGENT,
                    "--agent-password-file", ca.passwordFile("agent").toString(), "--directory-admin-password-file",
                    ca.passwordFile("directory-admin").toString(), "--database-directory", kmsDatabase.toString(),
                    "--out", out.toString());
            assertEquals(0, run.code(), run.toString());

            // The README's steps, run as written in the folder, with the test's socket for ldapi:///.
            String readme = Files.readString(out.resolve("README.txt"));
            Matcher steps = Pattern.compile("(?m)^  \\d\\. (ldap(?:add|modify) -Y EXTERNAL -H ldapi:/// -f \\S+)")
                    .matcher(readme);
            int count = 0;
            while (steps.find()) {
                List<String> command = new ArrayList<>(List.of(steps.group(1).split(" ")));
                command.set(0, LdapTools.executable(command.get(0)));
                command.set(command.indexOf("ldapi:///"), ldapi);
                command.set(command.size() - 1, out.resolve(command.get(command.size() - 1)).toString());
                LdapTools.run(command, Map.of("LDAPCONF", "/dev/null"), null).assertSuccess();
                count++;
            }
            assertEquals(4, count, "schema, modules, database, bootstrap:\n" + readme);

            String databases = LdapTools.run(List.of(LdapTools.executable("ldapsearch"), "-Y", "EXTERNAL", "-H", ldapi,
                    "-LLL", "-b", "cn=config", "(|(olcDatabase=*)(olcOverlay=*))", "dn"), Map.of("LDAPCONF", "/dev/null"),
                    null).assertSuccess().stdout();
            assertTrue(databases.contains("dn: olcOverlay={0}syncprov,olcDatabase={2}mdb,cn=config"), databases);

            LdapTools tools = LdapTools.against(url, ca.certificate());
            String whoami = tools.asWithPasswordFile(AGENT, ca.passwordFile("agent")).whoami().assertSuccess().stdout();
            assertTrue(whoami.toLowerCase(java.util.Locale.ROOT).contains(AGENT.toLowerCase(java.util.Locale.ROOT)),
                    whoami);
            tools.asWithPasswordFile("cn=directory-admin," + SUFFIX, ca.passwordFile("directory-admin")).add(
                    "dn: uid=jdoe,ou=People," + SUFFIX + "\nobjectClass: inetOrgPerson\nuid: jdoe\ncn: Jane Doe\n"
                            + "sn: Doe\nmail: jdoe@acme.test\ntelephoneNumber: +1 555 0100\n").assertSuccess();
            String anonymous = tools.anonymous().search("ou=People," + SUFFIX, "(mail=jdoe@acme.test)", "*")
                    .assertSuccess().stdout();
            assertTrue(anonymous.contains("mail: jdoe@acme.test"), anonymous);
            assertFalse(anonymous.contains("telephoneNumber"), "anonymous clients read public attributes only: "
                    + anonymous);
        } finally {
            Path pid = work.resolve("slapd.pid");
            if (Files.exists(pid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(process -> {
                    process.destroy();
                    process.onExit().join();
                });
            }
        }
    }
}
