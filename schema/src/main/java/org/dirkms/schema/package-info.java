/**
 * The dirkms LDAP schema.
 *
 * <p>{@link org.dirkms.schema.KmsSchema} is the single source of truth: every attribute type
 * and object class, with its OID under the project's X.667 UUID arc
 * {@value org.dirkms.schema.KmsSchema#OID_ARC}. {@link org.dirkms.schema.SchemaForms} renders
 * it into the three forms servers need (ApacheDS meta-schema LDIF, RFC 4512 {@code cn=schema}
 * modification LDIF, OpenLDAP {@code cn=config} LDIF). {@link org.dirkms.schema.AttributeNames}
 * and {@link org.dirkms.schema.ObjectClassNames} hold a constant for every name, and the
 * enumerations ({@link org.dirkms.schema.EnrollmentState} and its siblings) hold every value the
 * directory accepts for the enumerated attributes.
 *
 * <p>Beside the schema it holds what every module names the same way: the directory tree
 * below a suffix ({@link org.dirkms.schema.DirectoryLayout}), the data folder with every file and
 * folder in it, its mode and purpose ({@link org.dirkms.schema.DataFolder}), and the one rule for
 * reading a password or passphrase file, its first line ({@link org.dirkms.schema.PasswordFile}).
 *
 * <p>This package depends on the JDK only, so that the directory plugin, the KMS agent and the
 * command line can all use it (the agent never sees ApacheDS server classes through it).
 */
package org.dirkms.schema;
