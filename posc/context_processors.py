def navigation(request):
    """Placeholder-free: the navigation is computed in posc.navigation for signed-in users."""
    from .navigation import navigation_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": navigation_for(user)}
