/* Policies more than one file of unit-policy decides on (written with '
 * for ", see policy_helpers.h). */
#pragma once

#define DECIDE_POLICY                                                                              \
        "{'name':'decide','defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'ENOENT','syscalls':" \
        "["                                                                                        \
        "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':'EACCES',"                        \
        "'args':[{'index':0,'value':511,'op':'SCMP_CMP_EQ'}]},"                                    \
        "{'names':['umask','getpid'],'action':'SCMP_ACT_ALLOW'},"                                  \
        "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"                              \
        "{'names':['mkdirat','mkdir'],'action':'SCMP_ACT_ERRNO'},"                                 \
        "{'names':['getppid'],'action':'SCMP_ACT_ERRNO','errnoRet':4095},"                         \
        "{'names':['gettid'],'action':'SCMP_ACT_ERRNO','errnoRet':'EWOULDBLOCK'}]}"

#define ALLOW_POLICY                                                    \
        "{'name':'allow','defaultAction':'SCMP_ACT_ALLOW','syscalls':[" \
        "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':13}]}"
