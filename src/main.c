/* husk: command dispatch. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>
#include <tsk/libtsk.h>

#include "cli/cli.h"

static const cli_cmd commands[] = {
    {"analyse", cmd_analyse, "analyse a node's disk image into a case database"},
    {"info", cmd_info, "show the evidence, volumes, file systems and data roots of a case"},
    {"containers", cmd_containers, "list the containers of a case, like docker ps -a"},
    {"inspect", cmd_inspect, "show containers like docker inspect"},
    {"images", cmd_images, "list the images of a case, like docker images"},
    {"history", cmd_history, "show an image's history, like docker history"},
    {"diff", cmd_diff, "show a container's file-system changes, like docker diff"},
    {"logs", cmd_logs, "show a container's logs, like docker logs"},
    {"findings", cmd_findings, "list escape paths, misconfigurations and compromise indicators"},
    {"ls", cmd_ls, "list a directory of the evidence by path (through volumes and LVM)"},
    {"stat", cmd_stat, "show a file's metadata, times to the ns, xattrs, overlay markers"},
    {"cat", cmd_cat, "write a file of the evidence to standard output"},
    {"carve", cmd_carve, "carve deleted Docker configs and log lines from free space"},
    {"recover", cmd_recover, "what was recovered of removed containers; write it out"},
    {"timeline", cmd_timeline, "export the case's timeline: bodyfile (mactime), CSV, JSONL"},
    {"report", cmd_report, "write a self-contained HTML report of a case for the examiner"},
    {"export", cmd_export, "write a container's file system as a tar, like docker export"},
    {"cp", cmd_cp, "copy a file or directory out of a container, like docker cp"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: husk <command> [options] [arguments]\n"
            "\n"
            "Offline forensic analysis of container hosts (Docker, containerd, Kubernetes)\n"
            "from disk images (raw, split raw, E01), read-only, without mounting.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "Run 'husk <command> --help' for a command's options; 'man husk' for more.\n"
               "  husk --version   print the version\n"
               "\n"
               "Exit codes: 0 ok, 1 failed, 2 usage, 3 evidence unreadable,\n"
               "            4 case database error, 5 finished with damaged parts recorded,\n"
               "            6 EWF hashes do not match (--verify).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    const char *c = argv[1];
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "help") == 0) {
        if (strcmp(c, "help") == 0 && argc > 2) {
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char *av[] = {argv[2], "--help", NULL};
                    return commands[i].run(2, av);
                }
        }
        usage(stdout);
        return HUSK_EXIT_OK;
    }
    if (strcmp(c, "--version") == 0 || strcmp(c, "-V") == 0 || strcmp(c, "version") == 0) {
        printf("husk %s (libtsk %s, sqlite %s)\n", HUSK_VERSION, tsk_version_get_str(),
               sqlite3_libversion());
        return HUSK_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(c, commands[i].name) == 0 ||
            (strcmp(c, "analyze") == 0 && strcmp(commands[i].name, "analyse") == 0))
            return commands[i].run(argc - 1, argv + 1);
    cli_error("unknown command '%s' (see 'husk --help')", c);
    return HUSK_EXIT_USAGE;
}
