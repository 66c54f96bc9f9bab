/* A minimal intrusive doubly-linked list. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list_node {
        struct list_node *prev, *next;
};

static inline void list_init(struct list_node *head)
{
        head->prev = head->next = head;
}

static inline bool list_empty(const struct list_node *head)
{
        return head->next == head;
}

static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
        n->prev = head->prev;
        n->next = head;
        head->prev->next = n;
        head->prev = n;
}

static inline void list_del(struct list_node *n)
{
        n->prev->next = n->next;
        n->next->prev = n->prev;
        n->prev = n->next = n;
}
