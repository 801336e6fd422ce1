package org.dirkms.dist;

/**
 * The exit codes of every {@code dirkms} command, in one place: every command's
 * {@code --help} lists them with these meanings, then what a code says in more detail for that
 * command (README, "Exit codes", whose table CommandHelpTest holds to these).
 */
public enum ExitCode {
    /** The command did its work; a check found nothing wrong. */
    OK(0, "done; a check found nothing wrong"),
    /** The work failed (the message on standard error says why), or a check found problems. */
    FAILED(1, "failed: standard error says what went wrong and what to do in one or two lines (--verbose adds"
            + " the stack trace); or a check found problems"),
    /** The command line cannot be run as given: one line on standard error says what to change. */
    USAGE(2, "usage error: one line on standard error says what to change"),
    /** A check could not run at all (directory unreachable, key store unreadable): nothing was checked. */
    NOT_CHECKED(3, "a check could not run at all (archive check, audit verify): nothing was checked");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The process exit code. */
    public int code() {
        return code;
    }

    /** What the code means for every command that uses it. */
    public String meaning() {
        return meaning;
    }
}
