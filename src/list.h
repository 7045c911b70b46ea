/* Intrusive circular doubly-linked lists (internal). A node that is in no list has NULL
 * links, so membership is a pointer test. */
#ifndef YX_LIST_H
#define YX_LIST_H

#include <stddef.h>

typedef struct yx_link {
    struct yx_link *prev, *next;
} yx_link;

#define yx_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void yx_list_init(yx_link *head) {
    head->prev = head->next = head;
}

static inline int yx_list_empty(const yx_link *head) {
    return head->next == head;
}

static inline int yx_linked(const yx_link *node) {
    return node->next != NULL;
}

static inline void yx_list_push_back(yx_link *head, yx_link *node) {
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

static inline void yx_list_remove(yx_link *node) {
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = NULL;
}

/* Removes and returns the first node, or NULL when empty. */
static inline yx_link *yx_list_pop_front(yx_link *head) {
    yx_link *n = head->next;
    if (n == head) return NULL;
    yx_list_remove(n);
    return n;
}

#endif
